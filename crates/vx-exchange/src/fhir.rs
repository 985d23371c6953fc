//! FHIR R4 for laboratory results: a `transaction`, `batch` or `collection` Bundle of
//! Patient, Specimen, ServiceRequest and Observation read into result rows (the rows of
//! `POST /api/v1/results`), and a person's tests written as Patient and Observation.
//!
//! Typed structs for the parts used, not a whole FHIR model: the full-model crates (`fhir`,
//! `fhirbolt`) generate every resource of several releases, which costs minutes of build
//! for the four resources read here; unknown elements are ignored as FHIR allows, and a
//! malformed element of a used part is a problem named by its FHIRPath.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

/// The most entries a Bundle may carry (a result is up to four entries).
pub const MAX_ENTRIES: usize = 400_000;

/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// The identifier system vungxanh writes a citizen ID (CCCD) under. Read are this one,
/// any system ending in `cccd`, and identifiers typed `NI` or `NNVNM` (HL7 v2 table 0203:
/// national identifier; of Viet Nam).
pub const CCCD_SYSTEM: &str = "urn:vn:cccd";
/// The identifier system of a sample code (barcode) written by vungxanh.
pub const SAMPLE_SYSTEM: &str = "urn:vn:vungxanh:sample";

/// LOINC codes of a SARS-CoV-2 test whose value is the result (detected or not).
pub const RESULT_CODES: &[(&str, &str)] = &[
    ("94500-6", "SARS-CoV-2 RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("94502-2", "SARS-related coronavirus RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("94309-2", "SARS-CoV-2 RNA [Presence] in Specimen by NAA with probe detection"),
    ("94759-8", "SARS-CoV-2 RNA [Presence] in Nasopharynx by NAA with probe detection"),
    ("94558-4", "SARS-CoV-2 Ag [Presence] in Respiratory specimen by Rapid immunoassay"),
    ("95209-3", "SARS-CoV+SARS-CoV-2 Ag [Presence] in Respiratory specimen by Rapid immunoassay"),
];
/// LOINC codes of a cycle threshold (Ct); a quantity in `{Ct_value}` is one too.
pub const CT_CODES: &[&str] = &["94509-7", "96764-6", "94312-6", "94313-4", "94642-6"];
/// SNOMED CT result codes and the result they mean.
pub const RESULT_VALUES: &[(&str, &str, &str)] = &[
    ("260373001", "positive", "Detected"),
    ("10828004", "positive", "Positive"),
    ("260415000", "negative", "Not detected"),
    ("260385009", "negative", "Negative"),
    ("419984006", "invalid", "Inconclusive"),
    ("455371000124106", "invalid", "Invalid result"),
];

/// How a Bundle's entries stand together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    /// All or nothing.
    Transaction,
    /// Each entry on its own: good results recorded, bad ones answered.
    Batch,
    /// A set of resources, read all or nothing like a transaction.
    Collection,
}

impl BundleKind {
    pub fn name(self) -> &'static str {
        match self {
            BundleKind::Transaction => "transaction",
            BundleKind::Batch => "batch",
            BundleKind::Collection => "collection",
        }
    }
    /// The `type` of the Bundle that answers one of this kind.
    pub fn response(self) -> &'static str {
        match self {
            BundleKind::Transaction => "transaction-response",
            BundleKind::Batch | BundleKind::Collection => "batch-response",
        }
    }
}

/// One result read from a Bundle, as a results row.
#[derive(Debug, Clone, PartialEq)]
pub struct LabRow {
    /// The entry of the Observation (0-based).
    pub entry: usize,
    pub sample_code: String,
    /// positive, negative or invalid.
    pub result: String,
    pub ct: Option<f64>,
    /// The Observation's `effectiveDateTime` (else `issued`), as written.
    pub tested_at: String,
    /// The citizen ID of the Observation's subject, when the Bundle gives one.
    pub patient_cccd: Option<String>,
    /// The entry of that Patient.
    pub patient_entry: Option<usize>,
}

/// A problem of one entry (or of the Bundle: `entry` None), with the FHIRPath of the
/// element at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    pub entry: Option<usize>,
    pub expression: String,
    pub message: String,
}

impl EntryProblem {
    fn at(entry: usize, path: &str, message: impl Into<String>) -> EntryProblem {
        EntryProblem {
            entry: Some(entry),
            expression: if path.is_empty() {
                format!("Bundle.entry[{entry}].resource")
            } else {
                format!("Bundle.entry[{entry}].resource.{path}")
            },
            message: message.into(),
        }
    }
    fn bundle(path: &str, message: impl Into<String>) -> EntryProblem {
        EntryProblem {
            entry: None,
            expression: if path.is_empty() {
                "Bundle".into()
            } else {
                format!("Bundle.{path}")
            },
            message: message.into(),
        }
    }
}

/// A Bundle read: its kind, what each entry is, and the results.
#[derive(Debug, Clone, PartialEq)]
pub struct LabBundle {
    pub kind: BundleKind,
    /// The resource type of each entry.
    pub entries: Vec<String>,
    pub rows: Vec<LabRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Coding {
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CodeableConcept {
    #[serde(default)]
    coding: Vec<Coding>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identifier {
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<CodeableConcept>,
}

#[derive(Debug, Default, Deserialize)]
struct Reference {
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    identifier: Option<Identifier>,
}

#[derive(Debug, Default, Deserialize)]
struct Quantity {
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Component {
    #[serde(default)]
    code: CodeableConcept,
    #[serde(default)]
    value_quantity: Option<Quantity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Observation {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    code: CodeableConcept,
    #[serde(default)]
    subject: Option<Reference>,
    #[serde(default)]
    specimen: Option<Reference>,
    #[serde(default)]
    based_on: Vec<Reference>,
    #[serde(default)]
    effective_date_time: Option<String>,
    #[serde(default)]
    issued: Option<String>,
    #[serde(default)]
    value_codeable_concept: Option<CodeableConcept>,
    #[serde(default)]
    value_quantity: Option<Quantity>,
    #[serde(default)]
    component: Vec<Component>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Specimen {
    #[serde(default)]
    accession_identifier: Option<Identifier>,
    #[serde(default)]
    identifier: Vec<Identifier>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceRequest {
    #[serde(default)]
    requisition: Option<Identifier>,
    #[serde(default)]
    identifier: Vec<Identifier>,
}

#[derive(Debug, Default, Deserialize)]
struct Patient {
    #[serde(default)]
    identifier: Vec<Identifier>,
}

fn is_cccd(i: &Identifier) -> bool {
    let system = i.system.as_deref().unwrap_or("").to_ascii_lowercase();
    let typed = i.kind.as_ref().is_some_and(|t| {
        t.coding
            .iter()
            .any(|c| matches!(c.code.as_deref(), Some("NI" | "NNVNM")))
    });
    system == CCCD_SYSTEM || system.ends_with("cccd") || typed
}

fn first_value(ids: &[Identifier]) -> Option<String> {
    ids.iter()
        .filter_map(|i| i.value.as_deref())
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_string)
}

fn loinc(c: &CodeableConcept) -> impl Iterator<Item = &str> {
    c.coding
        .iter()
        .filter(|c| c.system.as_deref() == Some(LOINC))
        .filter_map(|c| c.code.as_deref())
}

fn is_ct(code: &CodeableConcept, q: Option<&Quantity>) -> bool {
    loinc(code).any(|c| CT_CODES.contains(&c))
        || q.is_some_and(|q| {
            q.code.as_deref() == Some("{Ct_value}")
                || matches!(q.unit.as_deref(), Some("Ct" | "{Ct_value}"))
        })
}

/// A resource of the Bundle, by the names a reference may use.
struct Resources<'b> {
    by_ref: HashMap<String, usize>,
    values: Vec<Option<&'b Value>>,
}

impl Resources<'_> {
    fn find(&self, r: &Reference) -> Option<usize> {
        let reference = r.reference.as_deref()?.trim();
        self.by_ref.get(reference).copied().or_else(|| {
            // an absolute URL ending in Type/id
            let mut parts = reference.rsplit('/');
            let (id, kind) = (parts.next()?, parts.next()?);
            self.by_ref.get(&format!("{kind}/{id}")).copied()
        })
    }
    fn kind(&self, i: usize) -> &str {
        self.values[i]
            .and_then(|v| v.get("resourceType"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

fn typed<T: for<'de> Deserialize<'de>>(
    v: &Value,
    entry: usize,
    problems: &mut Vec<EntryProblem>,
) -> Option<T> {
    match T::deserialize(v) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(EntryProblem::at(entry, "", format!("malformed: {e}")));
            None
        }
    }
}

/// Reads a Bundle of laboratory results. Every problem is returned, each naming its entry
/// and element; a Bundle with a problem is not half-read: `Err` carries them all.
pub fn read_lab_bundle(body: &[u8]) -> Result<LabBundle, Vec<EntryProblem>> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| vec![EntryProblem::bundle("", format!("not JSON: {e}"))])?;
    if doc.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(vec![EntryProblem::bundle(
            "resourceType",
            "expected a Bundle (resourceType \"Bundle\")",
        )]);
    }
    let kind = match doc.get("type").and_then(Value::as_str) {
        Some("transaction") => BundleKind::Transaction,
        Some("batch") => BundleKind::Batch,
        Some("collection") => BundleKind::Collection,
        other => {
            return Err(vec![EntryProblem::bundle(
                "type",
                format!(
                    "{}: a transaction, batch or collection Bundle is taken",
                    other.map_or("missing".to_string(), |o| format!("{o:?}"))
                ),
            )])
        }
    };
    let entries = match doc.get("entry") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(vec![EntryProblem::bundle("entry", "expected an array")]),
    };
    if entries.len() > MAX_ENTRIES {
        return Err(vec![EntryProblem::bundle(
            "entry",
            format!(
                "{} entries; at most {MAX_ENTRIES} per Bundle: split it (nothing was recorded)",
                entries.len()
            ),
        )]);
    }
    let mut problems = Vec::new();
    let mut resources = Resources {
        by_ref: HashMap::new(),
        values: Vec::with_capacity(entries.len()),
    };
    let mut kinds = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let resource = e.get("resource").filter(|r| r.is_object());
        let kind = resource
            .and_then(|r| r.get("resourceType"))
            .and_then(Value::as_str)
            .unwrap_or("");
        kinds.push(kind.to_string());
        match (resource, kind) {
            (None, _) => problems.push(EntryProblem {
                entry: Some(i),
                expression: format!("Bundle.entry[{i}]"),
                message: "no resource".into(),
            }),
            (Some(_), "Patient" | "Specimen" | "ServiceRequest" | "Observation") => {}
            (Some(_), "") => {
                problems.push(EntryProblem::at(i, "resourceType", "missing"));
            }
            (Some(_), other) => problems.push(EntryProblem::at(
                i,
                "resourceType",
                format!(
                    "a {} is not taken here: Patient, Specimen, ServiceRequest and Observation are",
                    other.chars().take(40).collect::<String>()
                ),
            )),
        }
        resources.values.push(resource);
        if let Some(url) = e.get("fullUrl").and_then(Value::as_str) {
            if resources.by_ref.insert(url.to_string(), i).is_some() {
                problems.push(EntryProblem {
                    entry: Some(i),
                    expression: format!("Bundle.entry[{i}].fullUrl"),
                    message: format!("{url} is the fullUrl of an earlier entry"),
                });
            }
        }
        if let Some(id) = resource.and_then(|r| r.get("id")).and_then(Value::as_str) {
            resources.by_ref.insert(format!("{kind}/{id}"), i);
        }
    }
    let mut rows: Vec<LabRow> = Vec::new();
    let mut cts: Vec<(usize, String, f64)> = Vec::new();
    for i in 0..entries.len() {
        if resources.kind(i) != "Observation" {
            continue;
        }
        let Some(obs) = typed::<Observation>(resources.values[i].unwrap(), i, &mut problems) else {
            continue;
        };
        read_observation(i, &obs, &resources, &mut rows, &mut cts, &mut problems);
    }
    // Ct observations of their own: onto the result of the same sample
    for (i, code, ct) in cts {
        match rows.iter_mut().find(|r| r.sample_code == code) {
            Some(r) if r.ct.is_none() => r.ct = Some(ct),
            Some(_) => {}
            None => problems.push(EntryProblem::at(
                i,
                "specimen",
                format!("a Ct for sample {code} without a result in the Bundle"),
            )),
        }
    }
    if problems.is_empty() {
        Ok(LabBundle {
            kind,
            entries: kinds,
            rows,
        })
    } else {
        problems.sort_by_key(|p| p.entry);
        Err(problems)
    }
}

fn read_observation(
    i: usize,
    obs: &Observation,
    resources: &Resources<'_>,
    rows: &mut Vec<LabRow>,
    cts: &mut Vec<(usize, String, f64)>,
    problems: &mut Vec<EntryProblem>,
) {
    let before = problems.len();
    match obs.status.as_deref() {
        Some("final" | "amended" | "corrected") => {}
        Some(other) => problems.push(EntryProblem::at(
            i,
            "status",
            format!("{other:?}: only a final result (final, amended, corrected) is recorded"),
        )),
        None => problems.push(EntryProblem::at(i, "status", "required")),
    }
    let sample_code = sample_code(i, obs, resources, problems);
    let ct_only = is_ct(&obs.code, obs.value_quantity.as_ref());
    if ct_only {
        match obs.value_quantity.as_ref().and_then(|q| q.value) {
            Some(v) => {
                if let (Some(code), true) = (sample_code, problems.len() == before) {
                    cts.push((i, code, v));
                }
            }
            None => problems.push(EntryProblem::at(
                i,
                "valueQuantity.value",
                "a Ct needs a number",
            )),
        }
        return;
    }
    let codes: Vec<&str> = loinc(&obs.code).collect();
    if !codes
        .iter()
        .any(|c| RESULT_CODES.iter().any(|(k, _)| k == c))
    {
        let known: Vec<&str> = RESULT_CODES.iter().map(|(k, _)| *k).collect();
        problems.push(EntryProblem::at(
            i,
            "code",
            format!(
                "not a SARS-CoV-2 test: a LOINC code ({}) or a Ct ({}) is read; given {}",
                known.join(", "),
                CT_CODES.join(", "),
                if codes.is_empty() {
                    "no LOINC code".to_string()
                } else {
                    codes.join(", ")
                }
            ),
        ));
    }
    let result = obs.value_codeable_concept.as_ref().and_then(|v| {
        v.coding
            .iter()
            .filter(|c| c.system.as_deref() == Some(SNOMED))
            .find_map(|c| {
                RESULT_VALUES
                    .iter()
                    .find(|(k, _, _)| Some(*k) == c.code.as_deref())
                    .map(|(_, r, _)| r.to_string())
            })
    });
    if result.is_none() {
        let known: Vec<String> = RESULT_VALUES
            .iter()
            .map(|(k, _, d)| format!("{k} {d}"))
            .collect();
        problems.push(EntryProblem::at(
            i,
            "valueCodeableConcept",
            format!("a SNOMED CT result code is needed: {}", known.join(", ")),
        ));
    }
    let ct = obs
        .component
        .iter()
        .find(|c| is_ct(&c.code, c.value_quantity.as_ref()))
        .and_then(|c| c.value_quantity.as_ref())
        .and_then(|q| q.value);
    let tested_at = obs
        .effective_date_time
        .clone()
        .or_else(|| obs.issued.clone());
    if tested_at.is_none() {
        problems.push(EntryProblem::at(
            i,
            "effectiveDateTime",
            "required: when the sample was tested",
        ));
    }
    let (patient_cccd, patient_entry) = match obs.subject.as_ref() {
        Some(s) => match (resources.find(s), s.identifier.as_ref()) {
            (Some(p), _) if resources.kind(p) == "Patient" => {
                let patient = resources.values[p]
                    .and_then(|v| Patient::deserialize(v).ok())
                    .unwrap_or_default();
                (
                    patient
                        .identifier
                        .iter()
                        .filter(|i| is_cccd(i))
                        .find_map(|i| i.value.clone()),
                    Some(p),
                )
            }
            (Some(_), _) => {
                problems.push(EntryProblem::at(i, "subject", "must point at a Patient"));
                (None, None)
            }
            (None, Some(id)) if is_cccd(id) => (id.value.clone(), None),
            (None, _) if s.reference.is_some() => {
                problems.push(EntryProblem::at(
                    i,
                    "subject",
                    format!(
                        "{} is not an entry of the Bundle",
                        s.reference.as_deref().unwrap_or_default()
                    ),
                ));
                (None, None)
            }
            (None, _) => (None, None),
        },
        None => (None, None),
    };
    if problems.len() > before {
        return;
    }
    if let (Some(sample_code), Some(result), Some(tested_at)) = (sample_code, result, tested_at) {
        rows.push(LabRow {
            entry: i,
            sample_code,
            result,
            ct,
            tested_at,
            patient_cccd: patient_cccd.map(|c| c.trim().to_string()),
            patient_entry,
        });
    }
}

/// The sample code of an Observation: its Specimen's accession identifier (else its first
/// identifier), a logical reference's identifier, else its ServiceRequest's requisition.
fn sample_code(
    i: usize,
    obs: &Observation,
    resources: &Resources<'_>,
    problems: &mut Vec<EntryProblem>,
) -> Option<String> {
    if let Some(s) = &obs.specimen {
        if let Some(id) = s.identifier.as_ref().and_then(|i| i.value.clone()) {
            return Some(id.trim().to_string());
        }
        return match resources.find(s) {
            Some(k) if resources.kind(k) == "Specimen" => {
                let sp = resources.values[k]
                    .and_then(|v| typed::<Specimen>(v, k, problems))
                    .unwrap_or_default();
                let code = sp
                    .accession_identifier
                    .and_then(|a| a.value)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .or_else(|| first_value(&sp.identifier));
                if code.is_none() {
                    problems.push(EntryProblem::at(
                        k,
                        "accessionIdentifier",
                        "a Specimen needs its sample code (accessionIdentifier or identifier)",
                    ));
                }
                code
            }
            _ => {
                problems.push(EntryProblem::at(
                    i,
                    "specimen",
                    "must point at a Specimen entry of the Bundle (or carry an identifier)",
                ));
                None
            }
        };
    }
    for r in &obs.based_on {
        if let Some(k) = resources
            .find(r)
            .filter(|&k| resources.kind(k) == "ServiceRequest")
        {
            let sr = resources.values[k]
                .and_then(|v| typed::<ServiceRequest>(v, k, problems))
                .unwrap_or_default();
            if let Some(code) = sr
                .requisition
                .and_then(|r| r.value)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .or_else(|| first_value(&sr.identifier))
            {
                return Some(code);
            }
        }
    }
    problems.push(EntryProblem::at(
        i,
        "specimen",
        "no sample code: point specimen at a Specimen with its barcode, or basedOn at a ServiceRequest with a requisition",
    ));
    None
}

/// One issue of an OperationOutcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// fatal, error, warning or information.
    pub severity: &'static str,
    /// A code of FHIR's IssueType: invalid, not-found, conflict, informational, …
    pub code: &'static str,
    pub diagnostics: String,
    pub expression: Option<String>,
}

/// An OperationOutcome of issues.
pub fn operation_outcome(issues: &[Issue]) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": issues.iter().map(|i| {
            let mut v = json!({"severity": i.severity, "code": i.code, "diagnostics": i.diagnostics});
            if let Some(e) = &i.expression {
                v["expression"] = json!([e]);
            }
            v
        }).collect::<Vec<_>>(),
    })
}

/// A person as FHIR's Patient shows one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientOut {
    pub id: String,
    pub family: String,
    pub given: Vec<String>,
    pub text: String,
    /// YYYY, or YYYY-MM-DD.
    pub birth: String,
    /// male or female.
    pub gender: &'static str,
    pub cccd: Option<String>,
    pub household: String,
}

/// A person's Patient resource.
pub fn patient(p: &PatientOut) -> Value {
    let mut identifier = vec![json!({
        "system": "urn:vn:vungxanh:household",
        "value": p.household,
    })];
    if let Some(c) = &p.cccd {
        identifier.insert(
            0,
            json!({
                "system": CCCD_SYSTEM,
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "NI"}]},
                "value": c,
            }),
        );
    }
    json!({
        "resourceType": "Patient",
        "id": p.id,
        "identifier": identifier,
        "name": [{"text": p.text, "family": p.family, "given": p.given}],
        "gender": p.gender,
        "birthDate": p.birth,
    })
}

/// One test of a person as an Observation.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOut {
    pub sample_id: i64,
    pub sample_code: String,
    /// rt-pcr or rapid-antigen (vungxanh's methods).
    pub rapid: bool,
    pub pooled: bool,
    pub collected_at: String,
    /// positive, negative, invalid; None: no result yet.
    pub result: Option<&'static str>,
    pub ct: Option<f64>,
    pub tested_at: Option<String>,
    pub laboratory: Option<String>,
}

/// A test as an Observation of the Patient `patient_id`: final with its result, or
/// registered while the sample waits for one.
pub fn observation(patient_id: &str, t: &TestOut) -> Value {
    let (code, display) = if t.rapid {
        RESULT_CODES[4]
    } else {
        RESULT_CODES[0]
    };
    let mut v = json!({
        "resourceType": "Observation",
        "id": format!("sample-{}-{patient_id}", t.sample_id),
        "status": if t.result.is_some() { "final" } else { "registered" },
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": format!("Patient/{patient_id}")},
        "specimen": {"identifier": {"system": SAMPLE_SYSTEM, "value": t.sample_code},
                     "display": if t.pooled { format!("{} (pooled)", t.sample_code) } else { t.sample_code.clone() }},
    });
    if let Some(result) = t.result {
        let (snomed, _, display) = RESULT_VALUES
            .iter()
            .find(|(_, r, _)| *r == result)
            .copied()
            .unwrap_or(RESULT_VALUES[4]);
        v["valueCodeableConcept"] = json!({"coding": [{"system": SNOMED, "code": snomed, "display": display}], "text": result});
    }
    if let Some(at) = &t.tested_at {
        v["effectiveDateTime"] = json!(at);
    } else {
        v["effectiveDateTime"] = json!(t.collected_at);
    }
    if let Some(ct) = t.ct {
        v["component"] = json!([{
            "code": {"coding": [{"system": LOINC, "code": "94509-7", "display": "SARS-related coronavirus E gene [Cycle Threshold #] in Specimen by NAA with probe detection"}]},
            "valueQuantity": {"value": ct, "unit": "Ct", "system": "http://unitsofmeasure.org", "code": "{Ct_value}"},
        }]);
    }
    if let Some(lab) = &t.laboratory {
        v["performer"] = json!([{"display": lab}]);
    }
    v
}

/// A searchset Bundle of resources.
pub fn searchset(resources: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": resources.len(),
        "entry": resources.into_iter().map(|r| {
            let url = format!("{}/{}", r["resourceType"].as_str().unwrap_or(""), r["id"].as_str().unwrap_or(""));
            json!({"fullUrl": url, "resource": r, "search": {"mode": "match"}})
        }).collect::<Vec<_>>(),
    })
}
