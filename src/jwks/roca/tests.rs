use serde_json::Value;

use super::*;
use crate::base64url;

/// tests/vectors/roca.json (tests/js/fixtures/roca-key.mjs): a 2048-bit RSALib-structured key
/// and a modulus with every residue in its subgroup but no common exponent.
fn fixture_modulus(name: &str) -> Vec<u8> {
    let text = include_str!("../../../tests/vectors/roca.json");
    let file: Value = serde_json::from_str(text).unwrap();
    base64url::decode(file[name]["n"].as_str().unwrap()).unwrap()
}

/// splitmix64: reproducible random moduli without a dependency.
fn random_moduli(count: usize, bytes: usize) -> Vec<Vec<u8>> {
    let mut state = 0x5745_7075_2042_3231_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..count)
        .map(|_| {
            let mut n: Vec<u8> = (0..bytes / 8).flat_map(|_| next().to_be_bytes()).collect();
            n[0] |= 0x80;
            n[bytes - 1] |= 1;
            n
        })
        .collect()
}

#[test]
fn b21_the_primes_are_the_odd_primes_up_to_167_with_the_order_of_65537() {
    let odd_primes: Vec<u32> = (3..=167).filter(|n| (2..*n).all(|d| n % d != 0)).collect();
    assert_eq!(PRIMES.iter().map(|p| p.p).collect::<Vec<_>>(), odd_primes);
    for prime in &PRIMES {
        let powers: Vec<u64> = (1..=prime.order)
            .scan(1u64, |x, _| {
                *x = *x * 65537 % u64::from(prime.p);
                Some(*x)
            })
            .collect();
        // 65537^order is the first power that is 1.
        let first_one = powers.iter().position(|x| *x == 1);
        assert_eq!(first_one, Some(prime.order as usize - 1), "p = {}", prime.p);
    }
    // Spot checks against the detector's own table (detect.py `prints`: bit r set when r is a
    // power of 65537 modulo p) for 11, 13 and 37.
    let mask = |p: u32| {
        let prime = PRIMES.iter().find(|q| q.p == p).unwrap();
        (0..p).filter(|r| prime.log(*r).is_some()).fold(0u128, |m, r| m | 1 << r)
    };
    assert_eq!((mask(11), mask(13), mask(37)), (1026, 5658, 67_109_890));
}

#[test]
fn b21_discrete_logarithms_and_residues() {
    for prime in &PRIMES {
        let mut power = 1;
        for c in 0..prime.order {
            assert_eq!(prime.log(power), Some(c), "p = {}", prime.p);
            power = power * prime.generator % prime.p;
        }
        assert_eq!(prime.log(0), None);
    }
    // 2^64 − 1 = 3 · 5 · 17 · 257 · 641 · 65537 · 6700417.
    let n = [0xff; 8];
    for (p, r) in [(3, 0), (5, 0), (17, 0), (7, 1), (167, u64::MAX % 167)] {
        assert_eq!(u64::from(residue(&n, p)), r, "p = {p}");
    }
}

#[test]
fn b21_a_rsalib_structured_modulus_is_flagged() {
    let n = fixture_modulus("roca");
    assert_eq!(n.len(), 256);
    assert!(has_fingerprint(&n));
}

#[test]
fn b21_residues_in_every_subgroup_without_one_exponent_are_not_flagged() {
    let n = fixture_modulus("unstructured");
    let logs: Vec<Option<u32>> = PRIMES.iter().map(|p| p.log(residue(&n, p.p))).collect();
    assert!(logs.iter().all(Option::is_some), "the per-prime test alone would flag it");
    assert!(!has_fingerprint(&n));
    // 0 modulo 3 (order 2) and 1 modulo 5 (order 4) disagree modulo 2; 1 and 3 agree.
    assert!(!one_exponent(&[(0, 2), (1, 4)]));
    assert!(one_exponent(&[(1, 2), (3, 4), (5, 6)]));
}

#[test]
fn b21_random_moduli_are_not_flagged() {
    for n in random_moduli(20_000, 256).iter().chain(&random_moduli(2_000, 512)) {
        assert!(!has_fingerprint(n));
    }
    // One false positive in 2^154 random moduli: the share of (Z/167#)* that 65537 generates,
    // whose order is the lcm of the orders modulo each prime.
    let lcm = PRIMES.iter().fold(1u64, |l, p| {
        let order = u64::from(p.order);
        l / u64::from(gcd(p.order, (l % order) as u32)) * order
    });
    let group: f64 = PRIMES.iter().map(|p| f64::from(p.p - 1).log2()).sum();
    assert!(group - (lcm as f64).log2() > 154.0, "{group} {lcm}");
}
