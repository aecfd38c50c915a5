//! What one name lookup costs a pod that uses cluster DNS: the glibc stub resolver's
//! search list under the kubelet's `ndots:5` (docs/reference.md#coredns-and-pod-dns,
//! [glibc resolver](../../../docs/reference.md#glibc-resolver); glibc `resolv/res_init.c`
//! `options timeout:/attempts:/ndots:`, `resolv/res_query.c` search-list walk,
//! `resolv/res_send.c` per-attempt wait @ glibc-2.42; kubernetes
//! `pkg/kubelet/network/dns/dns.go` for `ndots:5` and the search domains).
//!
//! A name with fewer dots than `ndots` is tried with each search domain first — the
//! three cluster domains (`<ns>.svc.cluster.local`, `svc.cluster.local`,
//! `cluster.local`), then the node's own — and then as it is; a name with at least
//! `ndots` dots (or ending in a dot) is tried as it is first. Each candidate costs two
//! queries sent together, A and AAAA. Candidates under the cluster domain are answered
//! by CoreDNS' `kubernetes` plugin (an answer or NXDOMAIN); the others are forwarded
//! upstream (through the cache). The search stops at the first answer.

/// How a lookup of one name walks the search list.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Candidates answered inside the cluster (the `kubernetes` plugin).
    pub local: u32,
    /// Candidates forwarded upstream (cacheable), the last of them the answer for an
    /// external name.
    pub forwarded: u32,
    /// The name is a Service of the cluster (answered locally).
    pub cluster: bool,
}

impl Plan {
    /// Queries (A and AAAA per candidate) one lookup sends in all.
    pub fn queries(&self) -> u32 {
        2 * (self.local + self.forwarded)
    }
}

/// The search domains a pod with `dnsPolicy: ClusterFirst` gets from the kubelet.
pub const CLUSTER_SEARCH_DOMAINS: u32 = 3;

/// The plan for `host` from a pod in the Service's namespace: `cluster` when it names a
/// Service of the cluster, `node_search` the node's own search domains.
pub fn plan(host: &str, cluster: bool, ndots: u32, node_search: u32) -> Plan {
    let absolute = host.ends_with('.');
    let dots = host.trim_end_matches('.').matches('.').count() as u32;
    let as_is_first = absolute || dots >= ndots;
    if cluster {
        // `svc` resolves at the first search domain; `svc.ns.svc.cluster.local` as is.
        return Plan {
            local: 1,
            forwarded: 0,
            cluster: true,
        };
    }
    if as_is_first {
        Plan {
            local: 0,
            forwarded: 1,
            cluster: false,
        }
    } else {
        Plan {
            local: CLUSTER_SEARCH_DOMAINS,
            forwarded: node_search + 1,
            cluster: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_external_name_under_ndots_walks_every_search_domain() {
        // The seed's backend.service.local: 2 dots < 5 → 3 cluster domains, one node
        // domain, then as is: 5 candidates × (A + AAAA) = 10 queries, 4 forwarded.
        let p = plan("backend.service.local", false, 5, 1);
        assert_eq!(p.queries(), 10);
        assert_eq!(p.forwarded, 2);
        // With enough dots, or a trailing dot, it is tried as is first.
        assert_eq!(plan("db.a.b.c.example.com", false, 5, 1).queries(), 2);
        assert_eq!(plan("db.example.com.", false, 5, 1).queries(), 2);
        // A Service of the cluster resolves at the first domain.
        assert_eq!(plan("redis", true, 5, 1).queries(), 2);
    }
}
