//! The user's metrics: Prometheus `query_range` responses saved as JSON, or CSV with a
//! `timestamp` column, one column per label and a `value` column.
//!
//! Two kinds of series are read:
//! - working set: `container_memory_working_set_bytes` per `pod` and `container`
//!   (cAdvisor's pod-level rows, with an empty or `POD` container, are left out);
//! - request rate: `rate(istio_requests_total[1m])` with a `destination_workload` label
//!   (series of one workload are summed, so a query by source or response code works
//!   too).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::error::ImportError;

/// One labelled time series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// (Unix seconds, value), in time order.
    pub points: Vec<(f64, f64)>,
}

/// Every series of the metric files, sorted out.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Working set per (pod, container).
    pub working_set: Vec<Series>,
    /// Requests per second per destination workload (summed).
    pub request_rate: BTreeMap<String, Vec<(f64, f64)>>,
    /// What was left out and why.
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
struct Response {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: Vec<RawSeries>,
}

#[derive(Deserialize)]
struct RawSeries {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

const JSON_FORM: &str = "a Prometheus query_range response: {\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[…]}}";
const CSV_FORM: &str =
    "CSV with a header `timestamp,<label>…,value` (Unix seconds or RFC 3339 times)";

/// Reads one metrics file (JSON when it starts with `{`, CSV otherwise).
pub fn read(file: &Path, text: &str) -> Result<Vec<Series>, ImportError> {
    if text.trim_start().starts_with('{') {
        read_json(file, text)
    } else {
        read_csv(file, text)
    }
}

fn read_json(file: &Path, text: &str) -> Result<Vec<Series>, ImportError> {
    let r: Response = serde_json::from_str(text).map_err(|e| {
        ImportError::at(
            file,
            e.line() as u64,
            e.column() as u64,
            format!("not a query_range response: {e}"),
            JSON_FORM,
        )
    })?;
    if r.status != "success" {
        return Err(ImportError::file(
            file,
            format!(
                "the query failed: status `{}`{}",
                r.status,
                r.error.map_or(String::new(), |e| format!(": {e}"))
            ),
            JSON_FORM,
        ));
    }
    let data = r
        .data
        .ok_or_else(|| ImportError::file(file, "the response has no `data`", JSON_FORM))?;
    if data.result_type != "matrix" {
        return Err(ImportError::file(
            file,
            format!(
                "resultType is `{}`: an instant query has one sample per series",
                data.result_type
            ),
            "the response of /api/v1/query_range (resultType matrix)",
        ));
    }
    let mut out = Vec::new();
    for s in data.result {
        let mut points = Vec::with_capacity(s.values.len());
        for (t, v) in s.values {
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => points.push((t, x)),
                Ok(_) => {}
                Err(_) => {
                    return Err(ImportError::file(
                        file,
                        format!("sample value `{v}` is not a number"),
                        JSON_FORM,
                    ));
                }
            }
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.push(Series {
            labels: s.metric,
            points,
        });
    }
    Ok(out)
}

fn read_csv(file: &Path, text: &str) -> Result<Vec<Series>, ImportError> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = r
        .headers()
        .map_err(|e| ImportError::file(file, format!("not CSV: {e}"), CSV_FORM))?
        .clone();
    let (Some(ti), Some(vi)) = (
        headers.iter().position(|h| h == "timestamp"),
        headers.iter().position(|h| h == "value"),
    ) else {
        return Err(ImportError::file(
            file,
            format!(
                "the header `{}` lacks `timestamp` or `value`",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
            CSV_FORM,
        ));
    };
    let mut by_labels: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
    for row in r.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(1, |p| p.line());
            ImportError::at(file, line, 1, format!("bad CSV row: {e}"), CSV_FORM)
        })?;
        let line = row.position().map_or(1, |p| p.line());
        let bad = |col: usize, what: &str| {
            let column = 1 + row.iter().take(col).map(|c| c.len() + 1).sum::<usize>();
            ImportError::at(
                file,
                line,
                column as u64,
                format!("`{}` is not {what}", &row[col]),
                CSV_FORM,
            )
        };
        let t = time(&row[ti]).ok_or_else(|| bad(ti, "a time"))?;
        let v: f64 = row[vi].parse().map_err(|_| bad(vi, "a number"))?;
        if !v.is_finite() {
            continue;
        }
        let labels = headers
            .iter()
            .zip(row.iter())
            .enumerate()
            .filter(|(i, _)| *i != ti && *i != vi)
            .map(|(_, (h, x))| (h.to_string(), x.to_string()))
            .collect();
        by_labels.entry(labels).or_default().push((t, v));
    }
    Ok(by_labels
        .into_iter()
        .map(|(labels, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series { labels, points }
        })
        .collect())
}

/// Unix seconds, or an RFC 3339 time.
fn time(s: &str) -> Option<f64> {
    if let Ok(t) = s.parse::<f64>() {
        return Some(t);
    }
    let t = humantime::parse_rfc3339_weak(s).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(d.as_secs_f64())
}

/// Sorts series from every file into working sets and request rates.
pub fn sort(files: Vec<(String, Vec<Series>)>) -> Metrics {
    let mut m = Metrics::default();
    let mut rates: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for (file, series) in files {
        for s in series {
            let name = s.labels.get("__name__").map(String::as_str);
            if let Some(w) = s.labels.get("destination_workload") {
                // Summed per millisecond timestamp: series split by source or code add up.
                let slot = rates.entry(w.clone()).or_default();
                for (t, v) in &s.points {
                    *slot.entry((t * 1000.0).round() as i64).or_default() += v;
                }
            } else if s.labels.contains_key("pod")
                && s.labels.contains_key("container")
                && name.is_none_or(|n| n == "container_memory_working_set_bytes")
            {
                let c = &s.labels["container"];
                if !c.is_empty() && c != "POD" {
                    m.working_set.push(s);
                }
            } else {
                m.notes.push(format!(
                    "{file}: a series with labels {{{}}} is neither a working set (pod, container) nor a request rate (destination_workload); left out",
                    s.labels
                        .iter()
                        .map(|(k, v)| format!("{k}=\"{v}\""))
                        .collect::<Vec<_>>()
                        .join(",")
                ));
            }
        }
    }
    m.request_rate = rates
        .into_iter()
        .map(|(w, pts)| {
            (
                w,
                pts.into_iter()
                    .map(|(t, v)| (t as f64 / 1000.0, v))
                    .collect(),
            )
        })
        .collect();
    m
}
