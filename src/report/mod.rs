//! Outputs: everything a run writes, and the printed table.
//!
//! - CSV files: the summary and per-container totals ([`summary_csv`],
//!   [`containers_csv`]) are pure functions of the results; time series, events, SLO and
//!   memory buckets stream from each run through [`CsvSinks`] into part files
//!   ([`shards`]) joined in (variant, replica) order at the end ([`merge_csv`]).
//! - `metadata.json` ([`RunMeta`]), the memory-limit plan ([`plan_csv`]) and the
//!   analysis of mitigations ([`analyse`]).
//! - Charts as PNG and SVG ([`charts`]) and the HTML report that shows them
//!   ([`write_report`]).
//! - The table printed at the end of a run ([`table`]).
//!
//! Every file goes through [`OutputDir`]: written into a staging folder that replaces
//! the output folder only when complete, so a failed run leaves no partial output.

mod analysis;
pub mod charts;
mod csv_sink;
mod dependencies;
mod format;
mod html;
mod memory_buckets;
mod merge;
mod metadata;
mod output_dir;
mod plan;
pub mod shards;
mod summary;
mod table;
mod workload_series;

pub use analysis::{Analysis, analyse};
pub use csv_sink::{
    CsvSinks, DB_HEADER, EVENTS_HEADER, POD_TIMESERIES_HEADER, REDIS_HEADER, SLO_HEADER,
};
pub use dependencies::{Dependencies, dependencies};
pub use format::human_time;
pub use html::{esc, report_html, write_report};
pub use memory_buckets::{CHART_BUCKETS, MEMORY_HEADER, MemoryBuckets, bucket_width};
pub use merge::merge_csv;
pub use metadata::{RunMeta, ShardMeta, SweepMeta, VariantMeta};
pub use output_dir::{OutputDir, abandon_all};
pub use plan::{PLAN_HEADER, PlanQuestion, plan_csv, plan_text};
pub use summary::{containers_csv, summary_csv};
pub use table::table;
pub use workload_series::{SeriesRow, WORKLOAD_SERIES_HEADER, WorkloadSeries};
