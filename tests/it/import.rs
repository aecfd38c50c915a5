//! `meshmem import`: a Helm-rendered meshed Deployment with an HPA and a PDB, plus six
//! hours of working-set and request-rate data made by a deterministic generator from
//! known laws and noise, become a scenario that `meshmem check` accepts, whose fit
//! recovers the laws and whose simulated working set at the data's end lands within 10 %
//! of the data.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use meshmem::import::{self, Inputs, Options};

use crate::support;

/// The laws the generator draws from (the fit must find them again).
mod truth {
    pub const MIB: f64 = 1048576.0;
    /// Unix time of the first sample: 2025-11-30 08:00 UTC.
    pub const START: f64 = 1_764_489_600.0;
    pub const STEP: f64 = 30.0;
    pub const HOURS: f64 = 6.0;
    pub const PODS: [&str; 3] = [
        "checkout-7d9f8b6c5d-4xk2p",
        "checkout-7d9f8b6c5d-9qzrt",
        "checkout-7d9f8b6c5d-mw7vb",
    ];
    /// Workload rate: 120 rps × (1 + 0.4 cos(2π (hour − 14) / 24)), × log-normal noise.
    pub const RPS: f64 = 120.0;
    pub const DIURNAL: f64 = 0.4;
    pub const RATE_NOISE_SD: f64 = 0.08;
    pub const RATE_NOISE_TAU: f64 = 300.0;
    /// checkout: baseline, in-flight bytes per request/s, leak per request, a 10 min flush.
    pub const BASELINE: f64 = 180.0 * MIB;
    pub const IN_FLIGHT: f64 = 0.25 * MIB;
    pub const LEAK_PER_REQUEST: f64 = 96.0;
    pub const FLUSH_SIZE: f64 = 20.0 * MIB;
    pub const FLUSH_PERIOD: f64 = 600.0;
    pub const NOISE: f64 = 1.5 * MIB;
    /// istio-proxy: flat plus in-flight.
    pub const PROXY: f64 = 72.0 * MIB;
    pub const PROXY_IN_FLIGHT: f64 = 0.05 * MIB;
}

/// SplitMix64 and Box–Muller: a few lines of deterministic randomness.
struct Gen(u64);

impl Gen {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The generated metrics: (working-set JSON, request-rate JSON).
fn generate() -> (String, String) {
    use truth::*;
    let mut g = Gen(2025);
    let n = (HOURS * 3600.0 / STEP) as usize + 1;
    let times: Vec<f64> = (0..n).map(|i| i as f64 * STEP).collect();
    // An Ornstein–Uhlenbeck log-noise on the workload's rate.
    let rho = (-STEP / RATE_NOISE_TAU).exp();
    let mut x = 0.0;
    let rate: Vec<f64> = times
        .iter()
        .map(|t| {
            x = rho * x + (1.0 - rho * rho).sqrt() * RATE_NOISE_SD * g.normal();
            let hour = 8.0 + t / 3600.0;
            let wave = 1.0 + DIURNAL * (std::f64::consts::TAU * (hour - 14.0) / 24.0).cos();
            RPS * wave * x.exp()
        })
        .collect();
    let mut ws = Vec::new();
    for pod in PODS {
        let phase = g.uniform() * FLUSH_PERIOD;
        let (mut served, mut app, mut proxy) = (0.0, Vec::new(), Vec::new());
        for (i, &t) in times.iter().enumerate() {
            let rps = rate[i] / PODS.len() as f64;
            if i > 0 {
                served += 0.5 * (rate[i - 1] + rate[i]) / PODS.len() as f64 * STEP;
            }
            let saw = ((t + phase) % FLUSH_PERIOD) / FLUSH_PERIOD;
            let a = BASELINE
                + IN_FLIGHT * rps
                + LEAK_PER_REQUEST * served
                + FLUSH_SIZE * saw
                + NOISE * g.normal();
            let p = PROXY + PROXY_IN_FLIGHT * rps + 0.5 * MIB * g.normal();
            app.push((START + t, a.round()));
            proxy.push((START + t, p.round()));
        }
        ws.push((pod, "checkout", app));
        ws.push((pod, "istio-proxy", proxy));
    }
    // cAdvisor's pod-level row (no container): the importer must leave it out.
    ws.push((
        PODS[0],
        "",
        times.iter().map(|t| (START + t, 400.0 * MIB)).collect(),
    ));
    let series = |labels: String, pts: &[(f64, f64)], digits: usize| {
        let values: Vec<String> = pts
            .iter()
            .map(|(t, v)| format!("[{t:.0},\"{v:.digits$}\"]"))
            .collect();
        format!(
            "{{\"metric\":{{{labels}}},\"values\":[{}]}}",
            values.join(",")
        )
    };
    let wrap = |result: Vec<String>| {
        format!(
            "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[\n{}\n]}}}}\n",
            result.join(",\n")
        )
    };
    let ws_json = wrap(
        ws.iter()
            .map(|(pod, c, pts)| {
                series(
                    format!(
                        "\"__name__\":\"container_memory_working_set_bytes\",\"container\":\"{c}\",\"namespace\":\"shop\",\"pod\":\"{pod}\""
                    ),
                    pts,
                    0,
                )
            })
            .collect(),
    );
    let rate_pts: Vec<(f64, f64)> = times
        .iter()
        .zip(&rate)
        .map(|(t, r)| (START + t, *r))
        .collect();
    let rate_json = wrap(vec![series(
        "\"destination_workload\":\"checkout\",\"destination_workload_namespace\":\"shop\"".into(),
        &rate_pts,
        4,
    )]);
    (ws_json, rate_json)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
}

const WS_FILE: &str = "working-set.json";
const RATE_FILE: &str = "request-rate.json";

/// The committed metric files are what the generator writes (set
/// `MESHMEM_REGENERATE=1` to rewrite them after changing the generator).
#[test]
fn the_committed_fixture_is_what_the_generator_writes() {
    let (ws, rate) = generate();
    let dir = fixtures();
    if std::env::var_os("MESHMEM_REGENERATE").is_some() {
        std::fs::write(dir.join(WS_FILE), &ws).unwrap();
        std::fs::write(dir.join(RATE_FILE), &rate).unwrap();
    }
    assert!(
        std::fs::read_to_string(dir.join(WS_FILE)).unwrap() == ws,
        "{WS_FILE} is stale"
    );
    assert!(
        std::fs::read_to_string(dir.join(RATE_FILE)).unwrap() == rate,
        "{RATE_FILE} is stale"
    );
}

fn inputs() -> Inputs {
    let (ws, rate) = generate();
    let manifest = fixtures().join("checkout-helm.yaml");
    Inputs {
        manifests: vec![(
            manifest.clone(),
            std::fs::read_to_string(&manifest).unwrap(),
        )],
        metrics: vec![
            (PathBuf::from(WS_FILE), ws),
            (PathBuf::from(RATE_FILE), rate),
        ],
    }
}

fn options() -> Options {
    Options {
        name: "checkout".into(),
        replicas: 4,
        seed: 1,
    }
}

fn close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "{what}: fitted {got}, true {want} (±{:.0} %)",
        rel * 100.0
    );
}

#[test]
fn the_fit_recovers_the_laws_the_data_were_made_from() {
    let imported = import::import(&inputs(), &options()).unwrap();
    let app = imported
        .fits
        .iter()
        .find(|f| f.container == "checkout")
        .expect("checkout fitted");
    let f = &app.fit;
    assert!(f.r2 > 0.98, "R² {}", f.r2);
    assert!(
        (f.hours - 6.0).abs() < 0.01 && f.pods == 3,
        "{} h, {} pods",
        f.hours,
        f.pods
    );
    close("residual SD", f.residual_sd, truth::NOISE, 0.25);
    close("baseline", f.baseline, truth::BASELINE, 0.05);
    close(
        "in flight",
        f.in_flight.expect("in-flight fitted"),
        truth::IN_FLIGHT,
        0.25,
    );
    close(
        "leak per request",
        f.leak_per_request.expect("per-request leak fitted"),
        truth::LEAK_PER_REQUEST,
        0.10,
    );
    assert!(
        f.leak_per_second.is_none(),
        "a per-second leak was invented"
    );
    let saw = f.sawtooth.expect("flush found");
    close("flush period", saw.period, truth::FLUSH_PERIOD, 0.05);
    close("flush size", saw.amplitude, truth::FLUSH_SIZE, 0.15);
    let (_, traffic) = &imported.traffic[0];
    assert!(
        traffic.noise_sd > 0.03 && traffic.noise_sd < 0.15,
        "{traffic:?}"
    );
}

#[test]
fn the_imported_scenario_loads_and_says_where_values_came_from() {
    let imported = import::import(&inputs(), &options()).unwrap();
    let y = &imported.yaml;
    meshmem::scenario::parse(Path::new("checkout.yaml"), y).unwrap_or_else(|e| panic!("{e}\n{y}"));
    for fragment in [
        "# from Deployment shop/checkout",
        "replicas: 3",
        "# from Deployment shop/checkout spec.replicas",
        "HorizontalPodAutoscaler shop/checkout: 3–10 replicas at 70 % CPU",
        "not simulated",
        "PodDisruptionBudget shop/checkout",
        "ConfigMap shop/checkout-config",
        "sidecar.istio.io/proxyMemoryLimit: '256Mi'",
        r#"proxy.istio.io/config: '{"concurrency":2,"tracing":{"sampling":1}}'"#,
        "jvm: {maxHeap: 384Mi",
        "JAVA_TOOL_OPTIONS",
        "readinessDelay: 20s",
        "default: manifests hold no nodes",
        "fitted: R² ",
        "mesh: {}",
    ] {
        assert!(y.contains(fragment), "missing `{fragment}` in:\n{y}");
    }
    // Same input, same bytes.
    assert_eq!(import::import(&inputs(), &options()).unwrap().yaml, *y);
}

#[test]
fn the_simulated_working_set_at_the_datas_end_is_within_ten_percent() {
    let imported = import::import(&inputs(), &options()).unwrap();
    let s = meshmem::scenario::parse(Path::new("checkout.yaml"), &imported.yaml).unwrap();
    let data_end = imported
        .fits
        .iter()
        .find(|f| f.container == "checkout")
        .unwrap()
        .fit
        .data_end;
    let end = truth::HOURS * 3600.0;
    let mut sum = (0.0, 0usize);
    for replica in 0..4 {
        let (_, rec) = support::run_sampled(&s, 0, replica);
        for (t, _, c, ws, _) in &rec.samples {
            if c == "checkout" && support::secs(*t) >= end - 900.0 {
                sum = (sum.0 + *ws as f64, sum.1 + 1);
            }
        }
    }
    assert!(sum.1 > 0, "no samples in the last 15 minutes");
    let simulated = sum.0 / sum.1 as f64;
    let error = (simulated - data_end).abs() / data_end;
    assert!(
        error <= 0.10,
        "simulated {:.1} MiB vs data {:.1} MiB at the end ({:.1} %)",
        simulated / truth::MIB,
        data_end / truth::MIB,
        100.0 * error
    );
}

#[test]
fn import_writes_a_scenario_that_check_accepts_and_charts_the_fit() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, rate) = generate();
    std::fs::write(dir.path().join(WS_FILE), ws).unwrap();
    std::fs::write(dir.path().join(RATE_FILE), rate).unwrap();
    let out = dir.path().join("checkout.yaml");
    let assert = Command::cargo_bin("meshmem")
        .unwrap()
        .current_dir(dir.path())
        .arg("import")
        .arg(fixtures().join("checkout-helm.yaml"))
        .args(["--metrics", WS_FILE, RATE_FILE, "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("fit checkout/checkout: R² "), "{stdout}");
    assert!(stdout.contains("meshmem plan"), "{stdout}");
    assert!(
        dir.path()
            .join("checkout-fit/charts/fit-checkout-checkout.png")
            .is_file()
    );
    Command::cargo_bin("meshmem")
        .unwrap()
        .arg("check")
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn a_bad_manifest_is_named_with_its_place_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: many\n",
    )
    .unwrap();
    let out = dir.path().join("x.yaml");
    let assert = Command::cargo_bin("meshmem")
        .unwrap()
        .arg("import")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .env("NO_COLOR", "1")
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("bad.yaml:5:13"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn a_bad_quantity_in_a_manifest_points_at_it() {
    let text = "kind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          resources:\n            limits: {memory: 12Qi}\n";
    let e = import::import(
        &Inputs {
            manifests: vec![(PathBuf::from("m.yaml"), text.into())],
            metrics: Vec::new(),
        },
        &options(),
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (9, 30), "{e}");
    assert!(e.to_string().contains("12Qi"), "{e}");
}
