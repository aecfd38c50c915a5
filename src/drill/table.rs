//! Columns as kubectl prints them: left-aligned, padded to the widest cell plus three
//! spaces (kubectl's printers: `tabwriter` with padding 3; `describe` uses 2), the last
//! column unpadded.

/// Renders `headers` and `rows` as a kubectl table, one line each, ending in a newline.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    render_padded(headers, rows, 3)
}

/// As [`render`] with `padding` spaces between columns (`kubectl describe`'s tables
/// use 2).
pub fn render_padded(headers: &[&str], rows: &[Vec<String>], padding: usize) -> String {
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for r in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate().take(n) {
            line.push_str(c);
            if i + 1 < n {
                let pad = widths[i] + padding - c.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_padded_by_three_spaces() {
        let t = super::render(&["NAME", "AGE"], &[vec!["a-long-name".into(), "5m".into()]]);
        assert_eq!(t, "NAME          AGE\na-long-name   5m\n");
    }
}
