//! What a key costs in `used_memory`, and Redis' own memory units.
//!
//! Redis 7.4 on 64-bit with jemalloc (docs/reference.md#redis-memory-and-eviction): a
//! string key costs its `dictEntry` (24 B, allocated as 32 B), the key as an sds (header
//! 1 B under 32 characters, 3 B under 256, 5 B beyond, plus the bytes and a NUL), the
//! value — up to 44 bytes one embedded allocation of the object header (16 B), an sds
//! header (3 B), the bytes and a NUL; longer, the 16 B object and a separate sds — each
//! allocation rounded up to jemalloc's size class, plus its hash-table slot (8 B per
//! bucket, 1–2 buckets per key: 12 B on average). A key with a TTL also has an entry in
//! the expires dict: 32 B and its slot, ≈ 44 B.
//!
//! Left out: integer-encoded values, the hash table's doubling steps (the average slot
//! share is used instead), client and replication buffers.

/// jemalloc's size class for an allocation of `n` bytes (64-bit, 16-byte quantum): 8,
/// then multiples of 16 up to 128, then four classes per doubling (160, 192, 224, 256,
/// 320, …).
pub fn jemalloc_class(n: u64) -> u64 {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let lg = 64 - (n - 1).leading_zeros(); // 2^(lg−1) < n ≤ 2^lg
    let delta = 1u64 << (lg - 3); // a quarter of the lower power of two
    n.div_ceil(delta) * delta
}

/// sds header bytes for a string of `len` bytes (`sdsReqType`): type 5 under 32, type 8
/// under 256, type 16 under 65 536, type 32 beyond.
fn sds_header(len: u64, allow_type5: bool) -> u64 {
    match len {
        0..32 if allow_type5 => 1,
        0..256 => 3,
        256..65_536 => 5,
        _ => 9,
    }
}

/// `dictEntry` of the main dict, as allocated.
const DICT_ENTRY: u64 = 32;
/// The robj header of a value.
const ROBJ: u64 = 16;
/// Longest string stored embedded in its object (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
const EMBSTR_LIMIT: u64 = 44;
/// Hash-table slot bytes per key, averaged over the table's fill (8 B × 1–2).
const SLOT: f64 = 12.0;
/// A TTL: the expires dict's entry (32 B) and its slot (≈ 12 B).
pub const TTL_BYTES: f64 = 44.0;

/// `used_memory` of one string key of `key_len` bytes holding `value_len` bytes, with a
/// TTL or not.
pub fn key_bytes(key_len: u64, value_len: u64, ttl: bool) -> f64 {
    let key = jemalloc_class(sds_header(key_len, true) + key_len + 1);
    let value = if value_len <= EMBSTR_LIMIT {
        jemalloc_class(ROBJ + 3 + value_len + 1)
    } else {
        jemalloc_class(ROBJ) + jemalloc_class(sds_header(value_len, false) + value_len + 1)
    };
    let ttl = if ttl { TTL_BYTES } else { 0.0 };
    (DICT_ENTRY + key + value) as f64 + SLOT + ttl
}

/// A memory size as `redis.conf` and `CONFIG SET` write it: a byte count, or a number
/// with `k`/`m`/`g` (powers of 1000) or `kb`/`mb`/`gb` (powers of 1024), any case.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a Redis memory size"))?;
    let mult: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1024 * 1024,
        "g" => 1_000_000_000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(format!("`{s}` is not a Redis memory size")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_rounds_to_its_classes() {
        let got: Vec<u64> = [1, 9, 15, 17, 100, 129, 160, 161, 257, 1025]
            .into_iter()
            .map(jemalloc_class)
            .collect();
        assert_eq!(got, [8, 16, 16, 32, 112, 160, 160, 192, 320, 1280]);
    }

    #[test]
    fn the_reference_example_costs_about_108_bytes() {
        // docs/reference.md: a 13-character key with a 20-byte value ≈ 32 + 16 + 48 + 12.
        assert_eq!(key_bytes(13, 20, false), 108.0);
        assert_eq!(key_bytes(13, 20, true), 152.0);
        // A 1000-byte value is a raw string: 16 B object + 1003 B sds → 1024 B class.
        assert_eq!(
            key_bytes(13, 1000, false),
            32.0 + 16.0 + 16.0 + 1024.0 + 12.0
        );
    }

    #[test]
    fn redis_units_are_decimal_without_b_and_binary_with_it() {
        assert_eq!(parse_memory("2gb"), Ok(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_memory("1G"), Ok(1_000_000_000));
        assert_eq!(parse_memory("1073741824"), Ok(1_073_741_824));
        assert_eq!(parse_memory("100mb"), Ok(100 * 1024 * 1024));
        assert!(parse_memory("2GiB").is_err());
        assert!(parse_memory("").is_err());
    }
}
