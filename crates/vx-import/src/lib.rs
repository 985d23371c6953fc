//! vx-import
