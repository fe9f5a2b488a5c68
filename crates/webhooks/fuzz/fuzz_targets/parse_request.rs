//! First byte: route (Slack command, Slack event, GitHub events); rest: the
//! body, as if its signature had verified. `fuzz_one` asserts that any
//! proposal is well-formed and runs the header checks on the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paddock_webhooks::parse::fuzz_one(data);
});
