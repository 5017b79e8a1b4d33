//! The vendor API stub of the pull tests (tests/vendor_stub) serving a generated demo account, for the
//! pull benchmark (`bench/pull.sh`). Prints its URL, then serves until killed. Test code: it is not part
//! of the `portal` binary.
//!
//! Run: `cargo run --release --example vendor_stub -- CONTACTS TICKETS [MAX_PER_10S]` (no third argument:
//! the stub announces an unlimited budget; with one it answers 429 beyond it).

#[path = "../tests/vendor_stub/mod.rs"]
mod vendor_stub;

use portal::app::demo;
use std::io::Write;

#[tokio::main]
async fn main() {
    let arguments: Vec<u64> = std::env::args()
        .skip(1)
        .map(|argument| {
            argument
                .parse()
                .expect("numbers: CONTACTS TICKETS [MAX_PER_10S]")
        })
        .collect();
    let contacts = arguments.first().copied().unwrap_or(2_000) as usize;
    let tickets = arguments.get(1).copied().unwrap_or(20_000) as usize;
    let limit = arguments.get(2).copied();
    let data = demo::generate(7, demo::DemoSize { contacts, tickets });
    let dataset = vendor_stub::dataset(&data);
    drop(data);
    let stub = vendor_stub::Stub::start(dataset, 500).await;
    stub.faults(|faults| faults.rate_limit_max = Some(limit.unwrap_or(100_000_000)));
    println!("{}", stub.url);
    std::io::stdout().flush().unwrap();
    std::future::pending::<()>().await;
}
