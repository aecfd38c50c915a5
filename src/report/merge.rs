//! Joining shard outputs: each CSV file of every shard is already in (variant, replica)
//! order, so a k-way merge on that key yields exactly the rows, in exactly the order, one
//! whole run writes. Memory stays at one row per shard.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use super::metadata::RunMeta;

/// What in the inputs cannot be merged (exit 2 for the command: bad input), as
/// opposed to failing to read or write.
fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Merges the CSV texts `inputs` (same header, each sorted by (variant, replica)) into
/// `out`; variants are ordered as `meta` lists them. Inputs that break those promises
/// are an [`io::ErrorKind::InvalidData`] error.
pub fn merge_csv<R: io::Read, W: Write>(meta: &RunMeta, inputs: Vec<R>, out: W) -> io::Result<()> {
    let mut readers: Vec<csv::Reader<R>> =
        inputs.into_iter().map(csv::Reader::from_reader).collect();
    let mut header: Option<csv::StringRecord> = None;
    for r in &mut readers {
        let h = r.headers().map_err(|e| bad(e.to_string()))?.clone();
        match &header {
            None => header = Some(h),
            Some(first) if *first != h => {
                return Err(bad("shards have different columns"));
            }
            Some(_) => {}
        }
    }
    let mut w = csv::Writer::from_writer(out);
    if let Some(h) = &header {
        w.write_record(h).map_err(io::Error::other)?;
    }
    let key = |rec: &csv::StringRecord| -> io::Result<(usize, u32)> {
        let name = rec.get(0).unwrap_or_default();
        let v = meta
            .variant_index(name)
            .ok_or_else(|| bad(format!("unknown variant `{name}`")))?;
        let r = rec
            .get(1)
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| bad("a row without a replica number"))?;
        Ok((v, r))
    };
    let mut heads: Vec<Option<csv::StringRecord>> = Vec::new();
    let mut heap = BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        let mut rec = csv::StringRecord::new();
        if r.read_record(&mut rec).map_err(|e| bad(e.to_string()))? {
            heap.push(Reverse((key(&rec)?, i)));
            heads.push(Some(rec));
        } else {
            heads.push(None);
        }
    }
    while let Some(Reverse((k, i))) = heap.pop() {
        let rec = heads[i].take().expect("queued");
        w.write_record(&rec).map_err(io::Error::other)?;
        // Keep taking this shard's rows while they belong to the same run.
        let mut next = csv::StringRecord::new();
        loop {
            if !readers[i]
                .read_record(&mut next)
                .map_err(|e| bad(e.to_string()))?
            {
                break;
            }
            let nk = key(&next)?;
            if nk < k {
                return Err(bad("rows out of (variant, replica) order"));
            }
            if nk == k {
                w.write_record(&next).map_err(io::Error::other)?;
            } else {
                heap.push(Reverse((nk, i)));
                heads[i] = Some(next);
                break;
            }
        }
    }
    w.flush()
}
