//! Number and time formats shared by the outputs.

use crate::engine::SimTime;

/// `1h58m`, `4m12s`, `37s`: simulated time for people.
pub fn human_time(t: SimTime) -> String {
    let s = t.as_nanos() / 1_000_000_000;
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// An optional instant as seconds with millisecond precision, empty when absent.
pub fn opt_secs(t: Option<SimTime>) -> String {
    t.map_or_else(String::new, |t| t.secs_millis().to_string())
}

/// A count that is an expected value in the fluid fidelity, rounded for CSV.
pub fn count(x: f64) -> String {
    format!("{:.0}", x.max(0.0))
}

/// 503s by flag (UH, UF, UC, NR) as whole numbers that add up, and their total.
///
/// In the fluid fidelity the counts are expected values. Rounding each flag and the total
/// on their own leaves them a unit apart now and then; instead the total is rounded, each
/// flag rounded down, and the units still missing go to the flags with the largest
/// remainders (ties to the first), so the flags always sum to the total.
pub fn counts_503(flags: [f64; 4]) -> (String, [String; 4]) {
    let x = flags.map(|f| if f.is_finite() { f.max(0.0) } else { 0.0 });
    let total = x.iter().sum::<f64>().round();
    let mut out = x.map(f64::floor);
    let mut missing = total - out.iter().sum::<f64>();
    let mut order = [0, 1, 2, 3];
    order.sort_by(|&a, &b| (x[b] - out[b]).total_cmp(&(x[a] - out[a])).then(a.cmp(&b)));
    for i in order {
        if missing < 0.5 {
            break;
        }
        out[i] += 1.0;
        missing -= 1.0;
    }
    (count(total), out.map(count))
}

/// A burn rate with two decimals.
pub fn burn(x: f64) -> String {
    format!("{x:.2}")
}

/// Rows as text columns padded to their widest cell: the first `left` columns (names)
/// left-aligned, the rest (numbers) right-aligned, two spaces between.
pub fn columns<const N: usize>(rows: &[[String; N]], left: usize) -> String {
    use std::fmt::Write;
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[i] - cell.chars().count());
            let _ = if i < left {
                write!(line, "{cell}{pad}  ")
            } else {
                write!(line, "{pad}{cell}  ")
            };
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn flags_always_add_up_to_the_total(flags in proptest::array::uniform4(0.0f64..1e7)) {
            let (total, each) = counts_503(flags);
            let sum: u64 = each.iter().map(|c| c.parse::<u64>().unwrap()).sum();
            prop_assert_eq!(sum, total.parse::<u64>().unwrap());
            // Each flag is within one of its own expected value.
            for (c, f) in each.iter().zip(flags) {
                prop_assert!((c.parse::<f64>().unwrap() - f).abs() < 1.0);
            }
        }
    }

    #[test]
    fn half_units_go_to_the_largest_remainders() {
        let (total, each) = counts_503([0.5, 0.5, 0.5, 0.5]);
        assert_eq!(
            (total.as_str(), each),
            ("2", ["1", "1", "0", "0"].map(String::from))
        );
    }
}
