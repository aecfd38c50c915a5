//! Outputs: CSV files, the run metadata and the printed table.
//!
//! Small outputs (summary, per-container totals, metadata, table) are pure functions of
//! the results. Large ones (time series, events) stream from each run into part files
//! that are joined in (variant, replica) order at the end. Everything is written into a
//! staging folder that replaces the output folder only when complete, so a failed run
//! leaves no partial output.

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

pub use analysis::{Analysis, analyse};
pub use csv_sink::{
    CsvSinks, DB_HEADER, EVENTS_HEADER, REDIS_HEADER, SLO_HEADER, TIMESERIES_HEADER,
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
