//! `report.html`: one self-contained page per scenario run — what was simulated, where
//! the numbers come from, the tables and every chart inline as SVG. No scripts, no
//! styles or images from elsewhere, nothing fetched: it opens from a laptop, an
//! artefact store or an e-mail attachment alike. Nothing in it depends on the clock, so
//! the same run writes the same bytes.

use std::fmt::Write;

use super::charts::data::{ComparisonRow, Estimate, ReportData};
use super::charts::{Rendered, human_secs};

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 48px;color:#222;line-height:1.45}
h1{margin:24px 0 4px;font-size:28px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.lede{font-size:17px;color:#333;white-space:pre-wrap}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4}td.l,th.l{text-align:left}
table.prov td{text-align:left}
figure{margin:16px 0 32px}figure svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:14px;color:#444;margin-top:6px}
nav a{margin-right:12px}code{background:#f4f4f4;padding:0 3px}
.bad{color:#b00000;font-weight:bold}.good{color:#1a7f1a}
";

fn ci(e: &Estimate, digits: usize) -> String {
    format!(
        "{:.d$} <small>[{:.d$}, {:.d$}]</small>",
        e.mean,
        e.lo,
        e.hi,
        d = digits
    )
}

fn pct_ci(e: &Estimate) -> String {
    format!(
        "{:.1}% <small>[{:.1}, {:.1}]</small>",
        100.0 * e.mean,
        100.0 * e.lo,
        100.0 * e.hi
    )
}

fn ttfo(t: &[Option<f64>; 3]) -> String {
    let f = |x: Option<f64>| x.map_or_else(|| "–".to_string(), human_secs);
    match t[1] {
        None => "–".to_string(),
        Some(m) => format!(
            "{} <small>(p5 {}, p95 {})</small>",
            human_secs(m),
            f(t[0]),
            f(t[2])
        ),
    }
}

fn diff(e: &Option<Estimate>, digits: usize) -> String {
    match e {
        None => "–".to_string(),
        Some(e) => {
            let class = if e.hi < 0.0 {
                " class=\"good\""
            } else if e.lo > 0.0 {
                " class=\"bad\""
            } else {
                ""
            };
            format!(
                "<span{class}>{:+.d$}</span> <small>[{:+.d$}, {:+.d$}]</small>",
                e.mean,
                e.lo,
                e.hi,
                d = digits
            )
        }
    }
}

fn summary_table(data: &ReportData, out: &mut String) {
    out.push_str(
        "<table id=\"summary-table\"><tr><th class=\"l\">variant</th><th class=\"l\">scope</th>\
         <th>runs</th><th>P(OOM kill) [95 % CI]</th><th>OOM kills/run</th>\
         <th>first OOM: median</th><th>restarts/run</th><th>503s/run</th>\
         <th>503s by flag UH / UF / UC / NR</th><th>peak 1 h burn</th></tr>\n",
    );
    for &v in &data.charted {
        let name = &data.meta.variants[v].name;
        let mut rows: Vec<&ComparisonRow> = data
            .comparison
            .iter()
            .filter(|r| &r.variant == name)
            .collect();
        // The run first, then its containers.
        rows.sort_by_key(|r| (r.scope != "run", r.scope.clone()));
        for (i, r) in rows.iter().enumerate() {
            let variant = if i == 0 { esc(name) } else { String::new() };
            let errors = r.errors_503.map_or_else(String::new, |e| ci(&e, 0));
            let flags = if r.scope == "run" {
                let f = r.errors_by_flag;
                format!("{:.0} / {:.0} / {:.0} / {:.0}", f[0], f[1], f[2], f[3])
            } else {
                String::new()
            };
            let burn = r
                .peak_burn_1h
                .map_or_else(String::new, |e| format!("{:.1}×", e.mean));
            let _ = writeln!(
                out,
                "<tr><td class=\"l\">{variant}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{errors}</td><td>{flags}</td><td>{burn}</td></tr>",
                esc(&r.scope),
                r.runs,
                pct_ci(&r.p_oom),
                ci(&r.oom_kills, 2),
                ttfo(&r.ttfo),
                ci(&r.restarts, 1),
            );
        }
    }
    out.push_str("</table>\n");
}

fn comparison_table(data: &ReportData, out: &mut String) {
    out.push_str(
        "<table id=\"comparison-table\"><tr><th class=\"l\">variant</th>\
         <th>Δ OOM kills/run</th><th>Δ 503s/run</th><th>Δ peak 1 h burn</th></tr>\n",
    );
    for &v in data.charted.iter().skip(1) {
        let name = &data.meta.variants[v].name;
        let Some(r) = data.row(name, "run") else {
            continue;
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            diff(&r.diff[0], 2),
            diff(&r.diff[1], 0),
            diff(&r.diff[2], 1)
        );
    }
    out.push_str("</table>\n");
}

fn sweep_tables(data: &ReportData, out: &mut String) {
    for g in &data.sweeps {
        let _ = write!(
            out,
            "<h3>sweep <code>{}</code></h3><table class=\"sweep-table\"><tr>",
            esc(&g.name)
        );
        for a in &g.axes {
            let _ = write!(out, "<th class=\"l\"><code>{}</code></th>", esc(a));
        }
        out.push_str("<th>runs</th><th>P(OOM kill) [95 % CI]</th></tr>\n");
        for p in &g.points {
            out.push_str("<tr>");
            for v in &p.values {
                let _ = write!(out, "<td class=\"l\">{}</td>", esc(v));
            }
            let _ = writeln!(out, "<td>{}</td><td>{}</td></tr>", p.runs, pct_ci(&p.p_oom));
        }
        out.push_str("</table>\n");
    }
}

fn plan_tables(data: &ReportData, out: &mut String) {
    for p in &data.plans {
        let _ = write!(
            out,
            "<h3>plan <code>{}</code>: risk {:.2} % within {}</h3>\
             <table class=\"plan-table\"><tr><th>limit (MiB)</th><th>runs</th>\
             <th>P(OOM kill) [95 % CI]</th><th class=\"l\">verdict</th></tr>",
            esc(&p.container),
            100.0 * p.risk,
            human_secs(p.within_s as f64)
        );
        for c in &p.candidates {
            let note = if c.chosen {
                " — chosen"
            } else if c.vpa {
                " — VPA-style p90 + 15 %"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<tr><td>{:.0}</td><td>{}</td><td>{}</td><td class=\"l\">{}{note}</td></tr>",
                c.limit_mib,
                c.runs,
                pct_ci(&c.p_oom),
                esc(&c.verdict)
            );
        }
        out.push_str("</table>\n");
    }
}

/// Strips what an inline SVG must not carry (the XML declaration).
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// The report page of `data`, with `charts` (as rendered into `charts/`).
pub fn report_html(data: &ReportData, charts: &[Rendered]) -> String {
    let m = &data.meta;
    let base = m.variants.first();
    let mut out = String::with_capacity(1 << 20);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>meshmem: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{name}</h1>\n<p class=\"lede\">{desc}</p>\n",
        name = esc(&m.scenario),
        desc = esc(base.map_or("", |b| b.description.trim()))
    );
    out.push_str("<nav><a href=\"#provenance\">provenance</a><a href=\"#variants\">variants</a><a href=\"#summary\">summary</a><a href=\"#charts\">charts</a>");
    if !data.sweeps.is_empty() {
        out.push_str("<a href=\"#sweeps\">sweeps</a>");
    }
    if !data.plans.is_empty() {
        out.push_str("<a href=\"#plans\">plans</a>");
    }
    out.push_str("</nav>\n");

    let duration = base.map_or(0, |b| b.duration_s) as f64;
    let _ = write!(
        out,
        "<h2 id=\"provenance\">Provenance</h2>\n<table class=\"prov\">\
         <tr><th class=\"l\">meshmem</th><td>{}</td></tr>\
         <tr><th class=\"l\">scenario file</th><td><code>{}</code></td></tr>\
         <tr><th class=\"l\">scenario SHA-256</th><td><code>{}</code></td></tr>\
         <tr><th class=\"l\">seed</th><td>{}</td></tr>\
         <tr><th class=\"l\">replicas per variant</th><td>{} ({} with full time series)</td></tr>\
         <tr><th class=\"l\">simulated time per run</th><td>{}</td></tr>\
         <tr><th class=\"l\">SLO target</th><td>{:.3} %</td></tr>\
         <tr><th class=\"l\">reproduce</th><td><code>meshmem run {} --seed {} --replicas {}</code></td></tr>\
         </table>\n",
        esc(&m.meshmem_version),
        esc(&m.file),
        esc(&m.sha256),
        m.seed,
        m.replicas,
        m.timeseries_replicas,
        human_secs(duration),
        100.0 * base.map_or(0.999, |b| b.slo_target),
        esc(&m.file),
        m.seed,
        m.replicas
    );

    out.push_str("<h2 id=\"variants\">Variants</h2>\n<table id=\"variants-table\"><tr><th class=\"l\">variant</th><th class=\"l\">what it changes</th></tr>\n");
    for &v in &data.charted {
        let vm = &m.variants[v];
        let what = if v == 0 {
            "the scenario as written".to_string()
        } else {
            esc(vm.description.trim())
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{what}</td></tr>",
            esc(&vm.name)
        );
    }
    out.push_str("</table>\n");

    out.push_str(
        "<h2 id=\"summary\">Summary</h2>\n<p>Per variant, for the run as a whole and per \
         container: means per run with 95 % confidence intervals; P(OOM kill) with its \
         Wilson interval; time to first OOM as Kaplan–Meier quantiles (runs without one \
         are censored, not zero).</p>\n",
    );
    summary_table(data, &mut out);
    if data.charted.len() > 1 {
        out.push_str(
            "<h3>Against the baseline</h3>\n<p>Differences paired by replica (each variant \
             replays the baseline's random streams), with 95 % intervals; green is a \
             significant improvement, red a significant worsening.</p>\n",
        );
        comparison_table(data, &mut out);
    }

    out.push_str("<h2 id=\"charts\">Charts</h2>\n");
    for c in charts {
        let _ = write!(
            out,
            "<figure id=\"chart-{stem}\">\n<h3>{title}</h3>\n{svg}\n<figcaption>{caption} \
             <small>(<code>charts/{stem}.png</code>, <code>charts/{stem}.svg</code>)</small>\
             </figcaption>\n</figure>\n",
            stem = esc(&c.stem),
            title = esc(&c.title),
            svg = inline_svg(&c.svg),
            caption = esc(&c.caption)
        );
    }
    if !data.sweeps.is_empty() {
        out.push_str("<h2 id=\"sweeps\">Sweeps</h2>\n");
        sweep_tables(data, &mut out);
    }
    if !data.plans.is_empty() {
        out.push_str("<h2 id=\"plans\">Plans</h2>\n");
        plan_tables(data, &mut out);
    }
    out.push_str(
        "<p><small>Written by meshmem from the CSV files beside this page; every number \
         here is in them.</small></p>\n</body>\n</html>\n",
    );
    out
}

/// Draws every chart of the (staged) output folder `dir` into its `charts/` and writes
/// its `report.html`.
pub fn write_report(dir: &super::OutputDir) -> std::io::Result<()> {
    let data = ReportData::load(dir.path())?;
    let charts = super::charts::render_all(&data, dir)?;
    dir.write("report.html", report_html(&data, &charts).as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
