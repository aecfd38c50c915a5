//! Kubernetes manifests as `helm template`, `kubectl get -o yaml` (a `List`) and plain
//! multi-document files hold them, read into minimal serde structs: only the fields the
//! importer uses, every other field ignored (manifests carry far more than meshmem
//! models, and `kubectl get` adds `status` and `managedFields`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
pub use serde_saphyr::Spanned;

use super::error::ImportError;

/// A scalar as text, whatever YAML type it was written as (`cpu: 1` and `cpu: "1"`,
/// `sidecar.istio.io/inject: false` and `"false"` mean the same in a manifest).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Any Kubernetes object; the `spec` fields of every kind read are in one struct.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Object {
    /// `apps/v1`, `v1`, …
    pub api_version: String,
    /// `Deployment`, `Service`, `List`, …
    pub kind: String,
    /// Name, namespace, labels, annotations.
    pub metadata: Metadata,
    /// The kind's spec.
    pub spec: Option<Spec>,
    /// A `List`'s objects.
    pub items: Vec<Object>,
}

/// `metadata:`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metadata {
    /// Name.
    pub name: String,
    /// Namespace (none: the namespace the manifest is applied to).
    pub namespace: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, Scalar>,
    /// Annotations.
    pub annotations: BTreeMap<String, Scalar>,
}

/// The `spec` fields read from Deployments, StatefulSets, DaemonSets, Services, HPAs and
/// VPAs (no two kinds use one name for different things, except `selector`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Spec {
    /// Deployment, StatefulSet: desired pods.
    pub replicas: Option<u32>,
    /// Pod template.
    pub template: Option<PodTemplate>,
    /// Deployment: `strategy`.
    pub strategy: Option<Strategy>,
    /// StatefulSet, DaemonSet: `updateStrategy`.
    pub update_strategy: Option<Strategy>,
    /// Service: label map; workloads: `{matchLabels: …}`.
    pub selector: Option<BTreeMap<String, serde_json::Value>>,
    /// HPA, VPA: the workload scaled.
    pub scale_target_ref: Option<TargetRef>,
    /// VPA: the workload sized.
    pub target_ref: Option<TargetRef>,
    /// HPA.
    pub min_replicas: Option<u32>,
    /// HPA.
    pub max_replicas: Option<u32>,
    /// HPA `autoscaling/v1`.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: Option<u32>,
    /// HPA `autoscaling/v2` metrics.
    pub metrics: Vec<HpaMetric>,
    /// VPA.
    pub update_policy: Option<UpdatePolicy>,
    /// VPA.
    pub resource_policy: Option<ResourcePolicy>,
    /// Service ports.
    pub ports: Vec<ServicePort>,
}

/// A rollout strategy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Strategy {
    /// `RollingUpdate`, `Recreate`, `OnDelete`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Its settings.
    pub rolling_update: Option<RollingUpdate>,
}

/// `rollingUpdate:`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RollingUpdate {
    /// Extra pods during a rollout (count or percent).
    pub max_surge: Option<Scalar>,
    /// Pods that may be down during a rollout (count or percent).
    pub max_unavailable: Option<Scalar>,
}

/// `scaleTargetRef` / `targetRef`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TargetRef {
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
}

/// One HPA `autoscaling/v2` metric.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HpaMetric {
    /// `Resource`, `Pods`, `External`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// For `Resource`.
    pub resource: Option<HpaResource>,
}

/// A resource metric of an HPA.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HpaResource {
    /// `cpu` or `memory`.
    pub name: String,
    /// The target.
    pub target: Option<HpaTarget>,
}

/// An HPA target.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HpaTarget {
    /// Percent of requests.
    pub average_utilization: Option<u32>,
}

/// A VPA's `updatePolicy`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpdatePolicy {
    /// `Off`, `Initial`, `Recreate`, `InPlaceOrRecreate`, `Auto`.
    pub update_mode: Option<String>,
}

/// A VPA's `resourcePolicy`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourcePolicy {
    /// Per-container policies.
    pub container_policies: Vec<ContainerPolicy>,
}

/// One container's VPA policy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPolicy {
    /// Container (`*` for all).
    pub container_name: String,
    /// `Auto` or `Off`.
    pub mode: Option<String>,
}

/// A Service port.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePort {
    /// Port.
    pub port: Option<Scalar>,
}

/// A pod template.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodTemplate {
    /// Labels and annotations of the pods.
    pub metadata: Metadata,
    /// The pod spec.
    pub spec: PodSpec,
}

/// A pod spec.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    /// Containers.
    pub containers: Vec<Container>,
    /// Init containers (those with `restartPolicy: Always` are native sidecars).
    pub init_containers: Vec<Container>,
    /// Pod-level resources.
    pub resources: Option<ResourceSpec>,
}

/// A container.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    /// Name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Requests and limits.
    pub resources: ResourceSpec,
    /// Environment (only literal values are read).
    pub env: Vec<EnvVar>,
    /// Entrypoint.
    pub command: Vec<Scalar>,
    /// Arguments.
    pub args: Vec<Scalar>,
    /// Readiness probe.
    pub readiness_probe: Option<Probe>,
    /// Init containers: `Always` makes a native sidecar.
    pub restart_policy: Option<String>,
}

/// `resources:`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceSpec {
    /// Requests (kept with their place, for errors).
    pub requests: BTreeMap<String, Spanned<Scalar>>,
    /// Limits.
    pub limits: BTreeMap<String, Spanned<Scalar>>,
}

/// An environment variable.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Literal value (none with `valueFrom`).
    pub value: Option<Scalar>,
}

/// A probe.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Probe {
    /// Delay before the first probe, seconds (default 0).
    pub initial_delay_seconds: Option<u32>,
    /// Interval, seconds (default 10).
    pub period_seconds: Option<u32>,
}

/// Reads every object of a manifest file: multi-document YAML, `List`s flattened.
pub fn read(file: &Path, text: &str) -> Result<Vec<Object>, ImportError> {
    let options = serde_saphyr::options! { strict_booleans: false };
    let docs: Vec<Option<Object>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| {
            let at = e.location().unwrap_or(serde_saphyr::Location::UNKNOWN);
            let full = e.without_snippet().to_string();
            let message = full
                .rsplit_once(" at line ")
                .map_or(full.clone(), |(m, _)| m.to_string());
            ImportError::at(
                file,
                at.line(),
                at.column(),
                format!("not a Kubernetes manifest: {message}"),
                "YAML documents of Kubernetes objects (helm template, kubectl get -o yaml)",
            )
        })?;
    let mut out = Vec::new();
    for doc in docs.into_iter().flatten() {
        flatten(doc, &mut out);
    }
    Ok(out)
}

fn flatten(o: Object, out: &mut Vec<Object>) {
    if o.kind.ends_with("List") && !o.items.is_empty() {
        for i in o.items {
            flatten(i, out);
        }
    } else if !o.kind.is_empty() {
        out.push(o);
    }
}
