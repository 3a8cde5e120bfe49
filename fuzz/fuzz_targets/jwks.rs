//! Key set parsing: any bytes. Whatever is accepted holds only public signing keys with a
//! thumbprint, and no two keys share a `kid` (catalog C).
#![no_main]
use libfuzzer_sys::fuzz_target;
use stepup::jwks::KeySet;

fuzz_target!(|data: &[u8]| {
    let Ok(set) = KeySet::parse(data) else { return };
    for (i, key) in set.keys().iter().enumerate() {
        assert!(!key.thumbprint().is_empty());
        let jwk = key.jwk();
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(jwk.get(private).is_none(), "private member {private} kept");
        }
        if let Some(kid) = key.kid() {
            assert!(set.keys()[..i].iter().all(|k| k.kid() != Some(kid)), "duplicate kid {kid}");
        }
    }
});
