//! The discovery document parser: any bytes. Whatever it accepts has exactly the expected issuer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stepup::discovery::parse_discovery_document;

fuzz_target!(|data: &[u8]| {
    if let Ok(metadata) = parse_discovery_document(data, "https://idp.example") {
        assert_eq!(metadata.issuer(), "https://idp.example");
    }
});
