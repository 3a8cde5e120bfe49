//! The ROCA fingerprint of RSA moduli (CVE-2017-15361, catalog B21).
//!
//! Infineon's RSALib (TPMs, smart cards, security keys, national ID cards, 2012–2017) built every
//! prime as `k·M + (65537^a mod M)`, `M` a primorial. Nemec, Sýs, Švenda, Klinec and Matyáš, "The
//! Return of Coppersmith's Attack: Practical Factorization of Widely Used RSA Moduli" (ACM CCS
//! 2017) factor such moduli from the public key alone with Coppersmith's method (a 2048-bit key in
//! about 140 CPU-years at worst): a signature by one proves nothing about who made it.
//!
//! The structure survives in the modulus: `n = p·q ≡ 65537^(a+b)` modulo every prime dividing
//! `M`. The check is the authors' detector (crocs-muni/roca `detect.py`, `DlogFprint`, the tool's
//! default): modulo each odd prime up to 167 — the primes of the smallest `M` RSALib used, which
//! divide every larger one — `n` must be a power of 65537, with one exponent for all primes at
//! once. The second condition matters: residues that are each some power of 65537 happen to one
//! random modulus in 2^28 (the tool's older per-prime test), a common exponent to one in 2^154.

/// The public exponent RSALib's primes are built from.
const GENERATOR: u32 = 65537;

/// One prime of the check and the cyclic subgroup 65537 generates modulo it.
struct Prime {
    p: u32,
    /// 65537 mod p.
    generator: u32,
    /// The multiplicative order of 65537 modulo p: the subgroup's size.
    order: u32,
}

/// Computed at compile time: the subgroup of 65537 modulo `p` (`p` a prime not dividing 65537).
const fn prime(p: u32) -> Prime {
    let generator = GENERATOR % p;
    let (mut power, mut order) = (generator, 1);
    while power != 1 {
        power = power * generator % p;
        order += 1;
    }
    Prime { p, generator, order }
}

/// The odd primes up to 167, as in the detector; 2 is left out because every odd `n` passes it.
const PRIMES: [Prime; 38] = [
    prime(3),
    prime(5),
    prime(7),
    prime(11),
    prime(13),
    prime(17),
    prime(19),
    prime(23),
    prime(29),
    prime(31),
    prime(37),
    prime(41),
    prime(43),
    prime(47),
    prime(53),
    prime(59),
    prime(61),
    prime(67),
    prime(71),
    prime(73),
    prime(79),
    prime(83),
    prime(89),
    prime(97),
    prime(101),
    prime(103),
    prime(107),
    prime(109),
    prime(113),
    prime(127),
    prime(131),
    prime(137),
    prime(139),
    prime(149),
    prime(151),
    prime(157),
    prime(163),
    prime(167),
];

impl Prime {
    /// The discrete logarithm: `c < order` with `65537^c ≡ residue (mod p)`, `None` when the
    /// residue is not in the subgroup. At most 166 steps.
    fn log(&self, residue: u32) -> Option<u32> {
        let mut power = 1;
        for c in 0..self.order {
            if power == residue {
                return Some(c);
            }
            power = power * self.generator % self.p;
        }
        None
    }
}

/// `n mod p` of a big-endian number, a byte at a time (`r·256 + 255` stays far below 2^32).
fn residue(n: &[u8], p: u32) -> u32 {
    n.iter().fold(0, |r, byte| ((r << 8) | u32::from(*byte)) % p)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Whether one `c` solves every `c ≡ cᵢ (mod oᵢ)`: by the generalised Chinese remainder theorem,
/// exactly when every two congruences agree modulo the gcd of their moduli.
fn one_exponent(logs: &[(u32, u32)]) -> bool {
    logs.iter().enumerate().all(|(i, &(c1, o1))| {
        logs.iter().skip(i + 1).all(|&(c2, o2)| {
            let g = gcd(o1, o2);
            c1 % g == c2 % g
        })
    })
}

/// Whether the big-endian modulus `n` is `65537^c` modulo 167# for some `c`: RSALib made it.
/// Most moduli leave at the first few primes.
pub(super) fn has_fingerprint(n: &[u8]) -> bool {
    let logs: Option<Vec<(u32, u32)>> =
        PRIMES.iter().map(|prime| Some((prime.log(residue(n, prime.p))?, prime.order))).collect();
    logs.is_some_and(|logs| one_exponent(&logs))
}

#[cfg(test)]
mod tests;
