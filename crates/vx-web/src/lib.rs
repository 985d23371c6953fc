//! vx-web
