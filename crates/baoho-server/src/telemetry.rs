//! Logging. Nothing personal is ever logged: spans carry the request id, method, path
//! without query, status and latency; handlers log ids, never names or document numbers.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber (once per process; later calls are ignored).
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
}
