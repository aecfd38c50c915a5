//! The data tier and cluster DNS in a scenario file: a workload that runs Redis or
//! CoreDNS, the calls a workload's requests make, databases, cluster DNS settings and
//! HorizontalPodAutoscalers.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_saphyr::Spanned;

use crate::model::redis::MaxmemoryPolicy;
use crate::model::redis::sizing::parse_memory;
use crate::scenario::duration::Duration;

/// A memory size in Redis' own units (`1gb` = 2³⁰ bytes, `1g` = 10⁹, or bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RedisMemory(pub u64);

const REDIS_MEMORY_FORM: &str =
    "a Redis memory size: bytes, or a number with k/m/g (×1000) or kb/mb/gb (×1024), e.g. 2gb";

struct RedisMemoryVisitor;

impl Visitor<'_> for RedisMemoryVisitor {
    type Value = RedisMemory;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDIS_MEMORY_FORM)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RedisMemory, E> {
        parse_memory(v)
            .map(RedisMemory)
            .map_err(|m| E::custom(format!("{m}; expected {REDIS_MEMORY_FORM}")))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RedisMemory, E> {
        Ok(RedisMemory(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RedisMemory, E> {
        u64::try_from(v)
            .map(RedisMemory)
            .map_err(|_| E::custom(format!("expected {REDIS_MEMORY_FORM}")))
    }
}

impl<'de> Deserialize<'de> for RedisMemory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RedisMemoryVisitor)
    }
}

impl Serialize for RedisMemory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl JsonSchema for RedisMemory {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RedisMemory".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Redis memory size as redis.conf writes it: bytes, or k/m/g (×1000) or kb/mb/gb (×1024).",
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]+([kKmMgG][bB]?)?$"},
                {"type": "integer", "minimum": 0}
            ],
            "examples": ["1gb", "2gb", "512mb"]
        })
    }
}

/// A `maxmemory-policy` value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Policy(pub MaxmemoryPolicy);

impl JsonSchema for Policy {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MaxmemoryPolicy".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let all: Vec<&str> = MaxmemoryPolicy::ALL.iter().map(|p| p.as_str()).collect();
        schemars::json_schema!({
            "description": "A Redis `maxmemory-policy`.",
            "type": "string",
            "enum": all
        })
    }
}

struct PolicyVisitor;

impl Visitor<'_> for PolicyVisitor {
    type Value = Policy;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a maxmemory-policy")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Policy, E> {
        v.parse().map(Policy).map_err(|m: String| {
            let all: Vec<&str> = MaxmemoryPolicy::ALL.iter().map(|p| p.as_str()).collect();
            E::custom(format!("{m}; expected one of {}", all.join(", ")))
        })
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(PolicyVisitor)
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// `redis:` on a workload: its pods run Redis servers (one shard each); the first
/// container is the server.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RedisServer {
    /// `maxmemory` (default 0: no limit).
    #[serde(default)]
    pub maxmemory: Option<RedisMemory>,
    /// `maxmemory-policy` (default noeviction).
    #[serde(default)]
    pub maxmemory_policy: Option<Policy>,
    /// `mem_fragmentation_ratio`: resident memory ÷ `used_memory` (default 1.0).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub fragmentation_ratio: Option<Spanned<f64>>,
    /// `used_memory` of an empty server (default 900000 bytes).
    #[serde(default)]
    pub startup_memory: Option<RedisMemory>,
}

/// `coredns:` on a workload: its pods run CoreDNS; the first container is the server.
/// The Corefile's `cache` and `forward` settings, with kubeadm's defaults.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CoreDnsServer {
    /// `cache` TTL cap (default 30s).
    #[serde(default)]
    pub cache_ttl: Option<Duration>,
    /// `cache` capacity per kind (default 9984).
    #[serde(default)]
    pub cache_size: Option<u32>,
    /// `forward` `max_concurrent` (kubeadm: 1000; 0 = unlimited, the plugin's default).
    #[serde(default)]
    pub max_concurrent: Option<u32>,
    /// Memory of one pending forwarded query (default 2Ki, the forward README).
    #[serde(default)]
    pub pending_query_bytes: Option<crate::scenario::quantity::Memory>,
    /// Memory of one cached answer (default 3000: 30 MB for a full 10 000-entry cache).
    #[serde(default)]
    pub cache_entry_bytes: Option<crate::scenario::quantity::Memory>,
}

/// The keys a caller reads and writes in a Redis.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Keys {
    /// Distinct keys.
    #[schemars(with = "u64")]
    pub universe: Spanned<u64>,
    /// Zipf exponent of popularity (default 0: uniform).
    #[serde(default)]
    pub zipf: Option<f64>,
    /// Key length, bytes (default 16).
    #[serde(default)]
    pub key_size: Option<u64>,
    /// Value length, bytes.
    pub value_size: u64,
    /// TTL of keys written with one (default: none).
    #[serde(default)]
    pub ttl: Option<Duration>,
    /// Share of keys written with the TTL (default 1 with a TTL).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub ttl_share: Option<Spanned<f64>>,
}

/// What a refused Redis write does to the request.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WriteErrors {
    /// The client raises and the request fails with 500 (default).
    #[default]
    Fail,
    /// The application ignores it.
    Ignore,
}

/// `onMiss:`: cache-aside.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OnMiss {
    /// The database read on a miss (then the value is SET back).
    #[schemars(with = "String")]
    pub database: Spanned<String>,
    /// How long the caller waits for it.
    pub timeout: Duration,
}

/// One kind of call each request makes: exactly one of `redis` and `database`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Call {
    /// A Redis workload.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub redis: Option<Spanned<String>>,
    /// A database.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub database: Option<Spanned<String>>,
    /// Calls per request (default 1).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub per_request: Option<Spanned<f64>>,
    /// How long the caller waits (default 1s).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Round trip of one Redis command (default 1ms).
    #[serde(default)]
    pub latency: Option<Duration>,
    /// Redis: the keys.
    #[serde(default)]
    pub keys: Option<Keys>,
    /// Redis: share of calls that are writes (default 0).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub write_share: Option<Spanned<f64>>,
    /// Redis: what a refused write does (default fail).
    #[serde(default)]
    pub write_errors: WriteErrors,
    /// Redis: cache-aside reads.
    #[serde(default)]
    pub on_miss: Option<OnMiss>,
}

/// A database behind the caches.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Database {
    /// Name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Queries served at once.
    #[schemars(with = "u32")]
    pub servers: Spanned<u32>,
    /// Mean time to serve a query.
    #[schemars(with = "Duration")]
    pub service_time: Spanned<Duration>,
    /// The name clients resolve (default: the database's name, a Service of the
    /// cluster); a name with dots outside `cluster.local` is resolved upstream.
    #[serde(default)]
    pub host: Option<String>,
}

/// `upstream:` of `dns:`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Upstream {
    /// Round trip to the upstream resolver (default 2ms).
    #[serde(default)]
    pub latency: Option<Duration>,
}

/// Lookups from the rest of the cluster.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OtherClients {
    /// Lookups of cluster names per second.
    #[serde(default)]
    pub cluster_lookups: Option<f64>,
    /// Lookups of external names per second.
    #[serde(default)]
    pub external_lookups: Option<f64>,
    /// Distinct external names among them.
    #[serde(default)]
    pub external_names: Option<u32>,
    /// Fluctuation of their rate (as traffic's `noise`).
    #[serde(default)]
    pub noise: super::Noise,
}

/// `dns:`: how pods resolve names (the kubelet's resolv.conf, glibc), with defaults.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dns {
    /// `options ndots` (default 5).
    #[serde(default)]
    pub ndots: Option<u32>,
    /// Search domains of the node after the cluster's three (default 1).
    #[serde(default)]
    pub node_search_domains: Option<u32>,
    /// Resolver timeout per attempt (default 5s).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Resolver attempts (default 2).
    #[serde(default)]
    pub attempts: Option<u32>,
    /// Time of an answer CoreDNS gives itself (default 1ms).
    #[serde(default)]
    pub local_latency: Option<Duration>,
    /// NodeLocal DNSCache on every node (default false).
    #[serde(default)]
    pub node_local: bool,
    /// The upstream resolver.
    #[serde(default)]
    pub upstream: Upstream,
    /// Lookups from the rest of the cluster.
    #[serde(default)]
    pub other_clients: OtherClients,
}

/// The resource an HPA scales on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HpaResource {
    /// CPU.
    Cpu,
    /// Memory.
    Memory,
}

/// A HorizontalPodAutoscaler (autoscaling/v2, one resource metric).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Hpa {
    /// Target workload.
    #[schemars(with = "String")]
    pub workload: Spanned<String>,
    /// `minReplicas` (default 1).
    #[serde(default)]
    pub min_replicas: Option<u32>,
    /// `maxReplicas`.
    #[schemars(with = "u32")]
    pub max_replicas: Spanned<u32>,
    /// `cpu` or `memory`.
    pub resource: HpaResource,
    /// `averageUtilization`, percent of requests.
    #[schemars(with = "u32")]
    pub average_utilization: Spanned<u32>,
}

/// `redisConfigSet:` in the timeline.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RedisConfigSet {
    /// The Redis workload.
    #[schemars(with = "String")]
    pub workload: Spanned<String>,
    /// New `maxmemory`.
    #[serde(default)]
    pub maxmemory: Option<RedisMemory>,
    /// New `maxmemory-policy`.
    #[serde(default)]
    pub maxmemory_policy: Option<Policy>,
}

/// `dnsUpstream:` in the timeline.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DnsUpstream {
    /// The upstream resolver answers.
    pub available: bool,
    /// Its round trip from now on.
    #[serde(default)]
    pub latency: Option<Duration>,
}
