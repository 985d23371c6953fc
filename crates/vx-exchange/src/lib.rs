//! vx-exchange: what vungxanh sends to the systems ministries already run.
//!
//! - [`Period`]: a day, an ISO week or a month, named as DHIS2 (`20210912`, `2021W37`,
//!   `202109`) and ADX (`2021-09-13/P7D`) name them.
//! - [`Indicator`] and [`PeriodFigures`]: the figures of a unit over a period (filled by the
//!   store from the dashboard's own queries) and the indicators a mapping may name.
//! - [`parse_mapping`]: the mapping file (TOML, errors with file, line and field).
//! - [`data_value_set`] and [`adx`]: DHIS2's `dataValueSets` JSON and ADX XML;
//!   [`check_data_value_set`] checks a document against the shape DHIS2 takes, and
//!   [`ImportSummary`] reads what a DHIS2 server answers to an import.
//!
//! - [`fhir`]: FHIR R4 laboratory results read from a Bundle, and a person's tests written
//!   as Patient and Observation resources.
//!
//! Pure: no SQL, HTTP, async or I/O (the binary reads files, the web crate serves).

mod dhis2;
pub mod fhir;
mod indicators;
mod mapping;
mod period;

pub use dhis2::{
    adx, check_data_value_set, data_value_set, is_dhis2_period, AdxError, DataValue, DataValueSet,
    ImportConflict, ImportCount, ImportSummary,
};
pub use indicators::{Indicator, Kind, PeriodFigures};
pub use mapping::{
    parse_mapping, ElementMap, Mapping, MappingError, MappingProblem, MAX_MAPPING_BYTES,
};
pub use period::{Period, PeriodError};
