//! Where a channel may send. Outgoing requests run from the deployment's
//! network position, so a URL naming loopback, private, link-local or
//! cloud-metadata addresses, or a name that only resolves inside a network,
//! would let a tenant probe what edgebeat can reach (SSRF). Such URLs are
//! refused unless the operator allows them (`ALLOW_PRIVATE_DESTINATIONS`,
//! for local development and tests).
//!
//! The rule reads the URL only: names are not resolved here (see
//! docs/channels-security.md for why, and what the platform adds). So it
//! refuses what a URL can say about its destination: addresses (also IPv4
//! addresses embedded in IPv6 forms), names reserved for local networks,
//! cluster and service-discovery names, wildcard-DNS services that answer
//! with the address written in the name, and names that embed a
//! non-public address in any of the forms those services read.

use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Why a destination is refused; the message ends in "are not allowed as
/// channel destinations".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NoHost,
    /// A non-public IPv4 or IPv6 address (IANA special-purpose registries).
    Address,
    /// An IPv6 form that carries a non-public IPv4 address, or a
    /// transition prefix that only a local translator serves.
    EmbeddedAddress,
    /// `localhost`, a single label, a suffix reserved for local networks,
    /// or a cluster or service-discovery name.
    InternalName,
    /// A wildcard-DNS service: the name resolves to whatever address it spells.
    WildcardDns,
    /// A name spelling a non-public address (dotted, dashed or hex).
    NameWithAddress,
}

impl Refusal {
    pub fn message(self) -> String {
        let what = match self {
            Refusal::NoHost => return "the URL has no host".into(),
            Refusal::Address => "private, loopback and link-local addresses",
            Refusal::EmbeddedAddress => "IPv6 addresses embedding a private, loopback or link-local IPv4 address",
            Refusal::InternalName => "local and internal host names",
            Refusal::WildcardDns => "wildcard-DNS names (nip.io, sslip.io and the like)",
            Refusal::NameWithAddress => "host names spelling a private, loopback or link-local address",
        };
        format!("{what} are not allowed as channel destinations")
    }
}

/// Why a channel may not send to `url`, if it may not.
pub fn destination_problem(url: &Url, allow_private: bool) -> Option<String> {
    if allow_private {
        return None;
    }
    refusal(url).map(Refusal::message)
}

/// What the rule finds wrong with `url`'s host, if anything.
pub fn refusal(url: &Url) -> Option<Refusal> {
    match url.host() {
        None => Some(Refusal::NoHost),
        Some(Host::Ipv4(ip)) => (!is_public_v4(ip)).then_some(Refusal::Address),
        Some(Host::Ipv6(ip)) => v6_refusal(ip),
        Some(Host::Domain(name)) => name_refusal(&name.trim_end_matches('.').to_ascii_lowercase()),
    }
}

/// Whether an IPv4 address is globally reachable: not in a block of the IANA
/// IPv4 special-purpose registry that is not, nor multicast or reserved.
pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10, carrier-grade NAT
    let protocol_assignments = a == 192 && b == 0 && c == 0; // 192.0.0.0/24
    let relay_anycast = a == 192 && b == 88 && c == 99; // 192.88.99.0/24, deprecated 6to4 relays
    let benchmarking = a == 198 && (b == 18 || b == 19); // 198.18.0.0/15
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || shared
        || protocol_assignments
        || relay_anycast
        || benchmarking
        || a == 0
        || a >= 240)
}

/// An IPv6 block: the address as a number and the prefix length.
struct Block(u128, u32);

impl Block {
    fn contains(&self, ip: u128) -> bool {
        let mask = if self.1 == 0 { 0 } else { u128::MAX << (128 - self.1) };
        ip & mask == self.0 & mask
    }
}

const fn v6(segments: [u16; 8]) -> u128 {
    let mut n = 0u128;
    let mut i = 0;
    while i < 8 {
        n = (n << 16) | segments[i] as u128;
        i += 1;
    }
    n
}

/// Blocks of the IANA IPv6 special-purpose registry (and the address
/// architecture) that are not globally reachable, refused whole.
const LOCAL_V6: &[Block] = &[
    // ::/96: unspecified, loopback and the deprecated IPv4-compatible form.
    Block(v6([0, 0, 0, 0, 0, 0, 0, 0]), 96),
    // 64:ff9b:1::/48, local-use IPv4/IPv6 translation: only a local translator serves it.
    Block(v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]), 48),
    // 100::/64 discard-only, and 100:0:0:1::/64 dummy prefix.
    Block(v6([0x100, 0, 0, 0, 0, 0, 0, 0]), 63),
    // 2001::/23, IETF protocol assignments: Teredo (2001::/32, whose client
    // address is any IPv4 address, inverted), benchmarking, ORCHID, anycast
    // services; none is a place for a webhook.
    Block(v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 23),
    // 2001:db8::/32 and 3fff::/20, documentation.
    Block(v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32),
    Block(v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20),
    // 5f00::/16, segment routing (SRv6) SIDs.
    Block(v6([0x5f00, 0, 0, 0, 0, 0, 0, 0]), 16),
    // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local (deprecated).
    Block(v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7),
    Block(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 10),
    Block(v6([0xfec0, 0, 0, 0, 0, 0, 0, 0]), 10),
    // ff00::/8, multicast.
    Block(v6([0xff00, 0, 0, 0, 0, 0, 0, 0]), 8),
];

/// The IPv4 address an IPv6 address carries by its form, if it has one:
/// IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), NAT64's
/// well-known prefix (64:ff9b::/96), 6to4 (2002::/16, bits 16-47), or an
/// ISATAP interface identifier (`[02]00:5efe:` then the IPv4 address).
pub fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let n = u128::from(ip);
    let low32 = Ipv4Addr::from(n as u32);
    let s = ip.segments();
    if Block(v6([0, 0, 0, 0, 0, 0xffff, 0, 0]), 96).contains(n)
        || Block(v6([0, 0, 0, 0, 0xffff, 0, 0, 0]), 96).contains(n)
        || Block(v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]), 96).contains(n)
    {
        return Some(low32);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2])));
    }
    if s[4] & 0xfdff == 0 && s[5] == 0x5efe {
        return Some(low32);
    }
    None
}

fn v6_refusal(ip: Ipv6Addr) -> Option<Refusal> {
    let n = u128::from(ip);
    let local_nat64 = Block(v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]), 48).contains(n);
    let teredo = Block(v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 32).contains(n);
    // ::a.b.c.d, the deprecated IPv4-compatible form (:: and ::1 are refused below).
    let compatible = Block(v6([0, 0, 0, 0, 0, 0, 0, 0]), 96).contains(n) && !ip.is_loopback() && !ip.is_unspecified();
    if embedded_v4(ip).is_some_and(|v4| !is_public_v4(v4)) || compatible || local_nat64 || teredo {
        return Some(Refusal::EmbeddedAddress);
    }
    LOCAL_V6.iter().any(|block| block.contains(n)).then_some(Refusal::Address)
}

/// Suffixes (and whole names) that resolve only inside a network: reserved
/// for local use (RFC 6761, 6762, 8375, 9476 and the common private-use
/// TLDs), Kubernetes (`<service>.<namespace>.svc[.cluster.local]`, and the
/// namespaces every cluster has), Consul, cloud metadata services.
const INTERNAL_SUFFIXES: &[&str] = &[
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "private",
    "corp",
    "home",
    "lan",
    "arpa",
    "test",
    "invalid",
    "onion",
    "alt",
    "svc",
    "cluster.local",
    "consul",
    "default",
    "kube-system",
    "kube-public",
];

/// Names that resolve only inside a cloud or cluster, whatever their suffix.
const INTERNAL_NAMES: &[&str] = &["metadata.google.internal", "kubernetes.default", "instance-data.ec2.internal"];

/// Wildcard-DNS services: every name under them resolves to the address it
/// spells (or, for some, always to 127.0.0.1), so they reach any address.
const WILDCARD_DNS: &[&str] = &[
    "nip.io",
    "sslip.io",
    "xip.io",
    "nip.direct",
    "traefik.me",
    "localtest.me",
    "lvh.me",
    "vcap.me",
    "fuf.me",
    "lacolhost.com",
    "localhost.direct",
    "lndo.site",
    "local.gd",
    "localho.st",
    "1u.ms",
    "rbndr.us",
];

/// Whether `name` is `suffix` or ends in `.suffix`.
fn is_under(name: &str, suffix: &str) -> bool {
    name.strip_suffix(suffix).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

fn name_refusal(name: &str) -> Option<Refusal> {
    if !name.contains('.') || INTERNAL_NAMES.contains(&name) || INTERNAL_SUFFIXES.iter().any(|s| is_under(name, s)) {
        return Some(Refusal::InternalName);
    }
    if WILDCARD_DNS.iter().any(|s| is_under(name, s)) {
        return Some(Refusal::WildcardDns);
    }
    let non_public = |ip: Ipv4Addr| !is_public_v4(ip);
    if spelled_v4(name).into_iter().any(non_public) || spelled_v6(name).is_some_and(|ip| v6_refusal(ip).is_some()) {
        return Some(Refusal::NameWithAddress);
    }
    None
}

/// Four numbers 0-255 in a row, as decimal text.
fn four_octets(parts: &[&str]) -> Option<Ipv4Addr> {
    let octet = |p: &&str| {
        (!p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse::<u8>().ok()).flatten()
    };
    let octets: Vec<u8> = parts.iter().take(4).map_while(octet).collect();
    (octets.len() == 4).then(|| Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]))
}

/// The IPv4 addresses a name spells in the forms wildcard-DNS services
/// read: dotted across labels (`app.10.0.0.1.example`), dashed within a
/// label (`app-10-0-0-1.example`), or eight hex digits (`app-0a000001.example`).
pub fn spelled_v4(name: &str) -> Vec<Ipv4Addr> {
    let mut found = Vec::new();
    let labels: Vec<&str> = name.split('.').collect();
    for start in 0..labels.len() {
        found.extend(four_octets(&labels[start..]));
    }
    for label in &labels {
        let parts: Vec<&str> = label.split('-').collect();
        for start in 0..parts.len() {
            found.extend(four_octets(&parts[start..]));
        }
        for part in parts {
            if part.len() == 8 && part.bytes().all(|b| b.is_ascii_hexdigit()) {
                found.extend(u32::from_str_radix(part, 16).ok().map(Ipv4Addr::from));
            }
        }
    }
    found
}

/// An IPv6 address spelled as a dashed label (`--1`, `fe80--1`), as sslip.io reads it.
pub fn spelled_v6(name: &str) -> Option<Ipv6Addr> {
    name.split('.').filter(|label| label.contains('-')).find_map(|label| label.replace('-', ":").parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> Option<Refusal> {
        refusal(&Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}")))
    }

    fn assert_refused(cases: &[&str], why: Refusal) {
        for url in cases {
            assert_eq!(refused(url), Some(why), "{url} must be refused as {why:?}");
            assert!(destination_problem(&Url::parse(url).unwrap(), false).is_some());
            assert_eq!(destination_problem(&Url::parse(url).unwrap(), true), None, "{url}: the operator may allow it");
        }
    }

    #[test]
    fn public_destinations_are_allowed() {
        for url in [
            "https://hooks.slack.com/services/x",
            "https://events.pagerduty.com/v2/enqueue",
            "https://8.8.8.8/x",
            "https://[2606:4700::1111]/x",
            "https://[2a00:1450:4001:80b::200e]/x",
            "https://deadbeef.example.com/x",
            "https://build-2024-01-15.example.com/x",
            "https://hooks.example/x",
            "https://app.8.8.8.8.example.com/x",
            // Embedded forms carrying a public IPv4 address.
            "https://[::ffff:8.8.8.8]/x",
            "https://[64:ff9b::8.8.8.8]/x",
            "https://[2002:808:808::1]/x",
            "https://localhost-monitoring.example.com/x",
            "https://my.svc.example.com/x",
        ] {
            assert_eq!(refused(url), None, "{url}");
        }
    }

    #[test]
    fn non_public_ipv4_addresses_are_refused_in_every_notation() {
        assert_refused(
            &[
                "http://127.0.0.1:9/x",
                "http://127.1/x",
                "http://2130706433/x",
                "http://0x7f.0.0.1/x",
                "http://0177.0.0.1/x",
                "http://10.1.2.3/x",
                "http://172.16.0.1/x",
                "http://192.168.1.1/x",
                "http://169.254.169.254/latest/meta-data",
                "http://100.64.0.1/x",
                "http://100.100.100.200/x",
                "http://0.0.0.0/x",
                "http://192.0.0.8/x",
                "http://198.18.0.1/x",
                "http://192.88.99.1/x",
                "http://224.0.0.1/x",
                "http://255.255.255.255/x",
                "http://240.0.0.1/x",
            ],
            Refusal::Address,
        );
    }

    #[test]
    fn non_public_ipv6_addresses_are_refused() {
        assert_refused(
            &[
                "http://[::1]/x",
                "http://[::]/x",
                "http://[fe80::1]/x",
                "http://[fd00::1]/x",
                "http://[fd00:ec2::254]/x",
                "http://[fec0::1]/x",
                "http://[ff02::1]/x",
                "http://[100::1]/x",
                "http://[2001:db8::1]/x",
                "http://[2001:2::1]/x",
                "http://[3fff::1]/x",
                "http://[5f00::1]/x",
                // A public IPv4 address in the form does not make a local block public.
                "http://[fe80::5efe:8.8.8.8]/x",
            ],
            Refusal::Address,
        );
    }

    #[test]
    fn ipv6_forms_embedding_a_non_public_ipv4_address_are_refused() {
        assert_refused(
            &[
                // IPv4-compatible (deprecated), any address.
                "http://[::127.0.0.1]/x",
                "http://[::10.0.0.1]/x",
                "http://[::8.8.8.8]/x",
                // IPv4-mapped.
                "http://[::ffff:127.0.0.1]/x",
                "http://[::ffff:7f00:1]/x",
                "http://[::ffff:169.254.169.254]/x",
                // IPv4-translated (SIIT).
                "http://[::ffff:0:127.0.0.1]/x",
                "http://[::ffff:0:a00:1]/x",
                // NAT64 well-known prefix, and the local-use prefix (any address).
                "http://[64:ff9b::127.0.0.1]/x",
                "http://[64:ff9b::192.168.0.1]/x",
                "http://[64:ff9b:1::8.8.8.8]/x",
                "http://[64:ff9b:1:7f00:1::]/x",
                // 6to4.
                "http://[2002:7f00:1::1]/x",
                "http://[2002:a9fe:a9fe::]/x",
                // Teredo (client 127.0.0.1 is ~7f00:0001 = 80ff:fffe), any address.
                "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x",
                "http://[2001::1]/x",
                // ISATAP interface identifiers.
                "http://[2606:4700::5efe:127.0.0.1]/x",
                "http://[2606:4700::200:5efe:a00:1]/x",
            ],
            Refusal::EmbeddedAddress,
        );
        assert_eq!(embedded_v4("2002:7f00:1::1".parse().unwrap()), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(embedded_v4("64:ff9b::a00:1".parse().unwrap()), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(embedded_v4("2606:4700::1111".parse().unwrap()), None);
    }

    #[test]
    fn local_cluster_and_metadata_names_are_refused() {
        assert_refused(
            &[
                "http://localhost:8080/x",
                "http://LOCALHOST./x",
                "http://api.localhost/x",
                "http://intranet/x",
                "http://metadata/computeMetadata/v1/",
                "http://metadata.google.internal/x",
                "http://instance-data.ec2.internal/x",
                "http://host.docker.internal/x",
                "http://printer.local/x",
                "http://nas.home.arpa/x",
                "http://1.0.0.127.in-addr.arpa/x",
                "http://router.lan/x",
                "http://wiki.corp/x",
                "http://box.home/x",
                "http://db.private/x",
                "http://app.test/x",
                "http://x.invalid/x",
                "http://hidden.onion/x",
                "http://name.alt/x",
                "http://kubernetes.default/x",
                "http://kubernetes.default.svc/x",
                "http://redis.prod.svc/x",
                "http://redis.prod.svc.cluster.local/x",
                "http://kube-dns.kube-system/x",
                "http://vault.service.consul/x",
                "http://server.localdomain/x",
            ],
            Refusal::InternalName,
        );
    }

    #[test]
    fn wildcard_dns_services_are_refused() {
        assert_refused(
            &[
                "http://127.0.0.1.nip.io/x",
                "http://app.8.8.8.8.nip.io/x",
                "http://nip.io/x",
                "http://10-0-0-1.sslip.io/x",
                "http://--1.sslip.io/x",
                "http://127.0.0.1.xip.io/x",
                "http://app.traefik.me/x",
                "http://localtest.me/x",
                "http://sub.localtest.me/x",
                "http://lvh.me/x",
                "http://app.lvh.me/x",
                "http://anything.vcap.me/x",
                "http://x.localhost.direct/x",
                "http://make-127.0.0.1-rebind-8.8.8.8-rr.1u.ms/x",
            ],
            Refusal::WildcardDns,
        );
        assert_eq!(refused("https://notnip.io/x"), None, "only the service's own names");
    }

    #[test]
    fn names_spelling_a_non_public_address_are_refused() {
        assert_refused(
            &[
                "http://127.0.0.1.wildcard.example/x",
                "http://app.10.0.0.1.example.com/x",
                "http://169.254.169.254.example.com/x",
                "http://127-0-0-1.example.com/x",
                "http://app-192-168-1-1.example.com/x",
                "http://7f000001.example.com/x",
                "http://app-0a000001.example.com/x",
                "http://a9fea9fe.example.com/x",
                "http://0--1.example.com/x",
                "http://fe80--1.example.com/x",
            ],
            Refusal::NameWithAddress,
        );
        assert_eq!(spelled_v4("a-1-2-3-4-b.c.d"), vec![Ipv4Addr::new(1, 2, 3, 4)]);
        assert_eq!(spelled_v6("--1.example.com"), Some(Ipv6Addr::LOCALHOST));
    }

    #[test]
    fn messages_say_what_is_refused() {
        assert_eq!(
            destination_problem(&Url::parse("http://127.0.0.1.nip.io/").unwrap(), false).as_deref(),
            Some("wildcard-DNS names (nip.io, sslip.io and the like) are not allowed as channel destinations")
        );
        assert_eq!(
            destination_problem(&Url::parse("http://[::127.0.0.1]/").unwrap(), false).as_deref(),
            Some(
                "IPv6 addresses embedding a private, loopback or link-local IPv4 address are not allowed as channel destinations"
            )
        );
    }
}
