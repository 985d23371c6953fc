//! `vungxanh import boundaries FILE`: unit boundaries from GeoJSON, matched by unit code,
//! for the level map. A FeatureCollection of Polygon or MultiPolygon features whose
//! properties name the unit (`code`, or `unit_code`, `ma`); `"schematic": true` marks a
//! drawing that is not a surveyed boundary (the demo's). All or nothing: every feature at
//! fault is reported with its number.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::Value;
use vx_store::{Actor, Boundary, Store, StoreError};

#[derive(Subcommand)]
pub enum SituationImport {
    /// Unit boundaries for the level map (GeoJSON FeatureCollection; each feature's
    /// properties name the unit `code`; Polygon or MultiPolygon in longitude/latitude).
    Boundaries {
        file: PathBuf,
        /// Mark every boundary of the file as schematic (drawn, not surveyed).
        #[arg(long)]
        schematic: bool,
        /// Who is importing, for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

pub async fn import(store: &Store, cmd: SituationImport) -> Result<()> {
    let SituationImport::Boundaries {
        file,
        schematic,
        actor,
    } = cmd;
    let name = file.display().to_string();
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {name}"))?;
    let mut boundaries = parse_geojson(&text).with_context(|| format!("reading {name}"))?;
    if schematic {
        for b in &mut boundaries {
            b.schematic = true;
        }
    }
    match store
        .import_boundaries(&Actor::system(&actor), &name, &boundaries)
        .await
    {
        Ok(s) => {
            println!(
                "{name}: {} boundaries, {} new, {} replaced",
                boundaries.len(),
                s.created,
                s.updated
            );
            Ok(())
        }
        Err(StoreError::Rows(problems)) => {
            for p in &problems {
                eprintln!("{name}: feature {}, {}: {}", p.row, p.column, p.message);
            }
            bail!(
                "{name}: {} features refused, nothing imported",
                problems.len()
            )
        }
        Err(e) => Err(e).context(name),
    }
}

fn points(v: &Value, feature: usize) -> Result<Vec<(f64, f64)>> {
    let Some(arr) = v.as_array() else {
        bail!("feature {feature}: a ring must be an array of positions");
    };
    arr.iter()
        .map(|p| match p.as_array().map(|a| a.as_slice()) {
            Some([x, y, ..]) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y))
                    if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) =>
                {
                    Ok((x, y))
                }
                _ => bail!("feature {feature}: a position must be [longitude, latitude]"),
            },
            _ => bail!("feature {feature}: a position must be [longitude, latitude]"),
        })
        .collect()
}

fn polygon(v: &Value, feature: usize) -> Result<Vec<Vec<(f64, f64)>>> {
    let Some(rings) = v.as_array() else {
        bail!("feature {feature}: a polygon must be an array of rings");
    };
    rings.iter().map(|r| points(r, feature)).collect()
}

/// The boundaries of a GeoJSON FeatureCollection (features numbered from 1 in errors).
pub fn parse_geojson(text: &str) -> Result<Vec<Boundary>> {
    let doc: Value = serde_json::from_str(text).context("not valid JSON")?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        bail!("expected a GeoJSON FeatureCollection");
    }
    let Some(features) = doc.get("features").and_then(Value::as_array) else {
        bail!("the FeatureCollection has no features array");
    };
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let n = i + 1;
        let props = f.get("properties").cloned().unwrap_or(Value::Null);
        let code = ["code", "unit_code", "ma"]
            .iter()
            .find_map(|k| match props.get(*k) {
                Some(Value::String(s)) => Some(s.trim().to_string()),
                Some(Value::Number(x)) => Some(x.to_string()),
                _ => None,
            })
            .filter(|c| !c.is_empty());
        let Some(code) = code else {
            bail!("feature {n}: properties must name the unit's code (\"code\")");
        };
        let geometry = f.get("geometry").cloned().unwrap_or(Value::Null);
        let coords = geometry.get("coordinates").cloned().unwrap_or(Value::Null);
        let polygons = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![polygon(&coords, n)?],
            Some("MultiPolygon") => coords
                .as_array()
                .map(|ps| ps.iter().map(|p| polygon(p, n)).collect::<Result<Vec<_>>>())
                .transpose()?
                .unwrap_or_default(),
            other => bail!(
                "feature {n} ({code}): geometry must be Polygon or MultiPolygon, not {}",
                other.unwrap_or("missing")
            ),
        };
        let schematic = props
            .get("schematic")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.push(Boundary {
            unit_code: code,
            polygons,
            schematic,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_and_multipolygons_by_code() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"28846","schematic":true},
           "geometry":{"type":"Polygon","coordinates":[[[106.1,10.2],[106.2,10.2],[106.2,10.3],[106.1,10.2]]]}},
          {"type":"Feature","properties":{"ma":28804},
           "geometry":{"type":"MultiPolygon","coordinates":[[[[106.3,10.2],[106.4,10.2],[106.4,10.3],[106.3,10.2]]]]}}]}"#;
        let b = parse_geojson(text).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].unit_code, "28846");
        assert!(b[0].schematic);
        assert_eq!(b[1].unit_code, "28804");
        assert_eq!(b[1].polygons[0][0].len(), 4);
    }

    #[test]
    fn errors_name_the_feature() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[]}}]}"#;
        let e = parse_geojson(text).unwrap_err().to_string();
        assert!(e.contains("feature 1"), "{e}");
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"1"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#;
        let e = parse_geojson(text).unwrap_err().to_string();
        assert!(e.contains("Point"), "{e}");
    }
}
