//! When to fetch an issuer's key set (and metadata) again: the refresh rules of jose's
//! `createRemoteJWKSet` and oauth4webapi, as a pure state machine the wasm layer drives
//! (SECURITY C03–C05, C11).
//!
//! - A set older than `max_age` is refetched (C05), but kept: if the issuer is down, the stale
//!   set keeps sessions working rather than locking every user out.
//! - A token naming a `kid` the set lacks triggers one refetch (key rotation, C03), at most once
//!   per `cooldown` (C04: a flood of random `kid`s costs the issuer one request per window).
//! - A failed fetch is also rate-limited by the cooldown, so an outage is not hammered.

/// How long stepup waits for an identity provider's answer, in milliseconds (jose's default
/// for key sets): discovery, key sets and the token endpoint, from the guard and the client.
pub const TIMEOUT_MS: u32 = 5000;

/// The most stepup reads of an identity provider's answer, in bytes (discovery, key sets, the
/// token and introspection endpoints; from the guard and the client): a longer one is a failed
/// fetch, and its reading stops there. Real documents are tens of kilobytes at most (a key set of
/// a hundred RSA keys is about 40 KB); an answer read without a bound could fill a Workers
/// isolate's memory (128 MB), every request it serves failing with it.
pub const MAX_ANSWER_BYTES: u32 = 1 << 20;

/// Refresh timing in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// How long a fetched set is fresh (jose: 600 s).
    pub max_age: f64,
    /// The least time between two fetches not forced by age (jose: 30 s).
    pub cooldown: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { max_age: 600.0, cooldown: 30.0 }
    }
}

/// What the cache knows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct State {
    /// When the held set was fetched; `None` while there is none.
    pub fetched_at: Option<f64>,
    /// When a fetch was last started, whatever its outcome.
    pub attempted_at: Option<f64>,
}

/// Why a lookup needs the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Use the set held.
    UseHeld,
    /// Fetch now (and fall back to the held set, if any, should the fetch fail).
    Fetch,
    /// Nothing usable is held and the cooldown forbids another attempt yet.
    Unavailable,
}

impl Policy {
    /// Whether the held set is within `max_age` (as [`Policy::decide`] judges it): it may be used
    /// without waiting for a fetch another lookup has under way. A stale set is only a fallback
    /// once that fetch has failed.
    pub fn fresh(&self, state: &State, now: f64) -> bool {
        state.fetched_at.is_some_and(|at| now - at < self.max_age)
    }

    /// Decides for a lookup at `now`; `kid_missing` is true when the token's `kid` is not in the
    /// held set.
    pub fn decide(&self, state: &State, now: f64, kid_missing: bool) -> Action {
        let cooled = state.attempted_at.is_none_or(|t| now - t >= self.cooldown || now < t);
        match state.fetched_at {
            None if cooled => Action::Fetch,
            None => Action::Unavailable,
            Some(at) if now - at >= self.max_age && cooled => Action::Fetch,
            Some(_) if kid_missing && cooled => Action::Fetch,
            Some(_) => Action::UseHeld,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy { max_age: 600.0, cooldown: 30.0 };

    #[test]
    fn c05_only_a_set_within_max_age_is_fresh() {
        assert!(!P.fresh(&State::default(), 0.0));
        let s = State { fetched_at: Some(0.0), attempted_at: Some(0.0) };
        assert!(P.fresh(&s, 599.0));
        assert!(!P.fresh(&s, 600.0));
        // Stale and a fetch just started (within the cooldown): decide says use the held set as
        // a fallback, but it is not fresh, so lookups wait for that fetch.
        let fetching = State { fetched_at: Some(0.0), attempted_at: Some(700.0) };
        assert_eq!(P.decide(&fetching, 701.0, false), Action::UseHeld);
        assert!(!P.fresh(&fetching, 701.0));
    }

    #[test]
    fn first_lookup_fetches() {
        assert_eq!(P.decide(&State::default(), 0.0, false), Action::Fetch);
    }

    #[test]
    fn c05_stale_sets_are_refetched_and_fresh_ones_used() {
        let s = State { fetched_at: Some(0.0), attempted_at: Some(0.0) };
        assert_eq!(P.decide(&s, 599.0, false), Action::UseHeld);
        assert_eq!(P.decide(&s, 600.0, false), Action::Fetch);
    }

    #[test]
    fn c03_c04_unknown_kid_refetches_once_per_cooldown() {
        let s = State { fetched_at: Some(100.0), attempted_at: Some(100.0) };
        assert_eq!(P.decide(&s, 110.0, true), Action::UseHeld, "inside the cooldown");
        assert_eq!(P.decide(&s, 130.0, true), Action::Fetch);
        // A thousand random kids within one second cost at most one fetch.
        let mut state = s;
        let mut fetches = 0;
        for i in 0..1000 {
            let now = 130.0 + f64::from(i) / 1000.0;
            if P.decide(&state, now, true) == Action::Fetch {
                fetches += 1;
                state.attempted_at = Some(now);
            }
        }
        assert_eq!(fetches, 1);
    }

    #[test]
    fn failures_are_rate_limited_and_a_held_set_keeps_working() {
        let never = State { fetched_at: None, attempted_at: Some(100.0) };
        assert_eq!(P.decide(&never, 110.0, false), Action::Unavailable);
        assert_eq!(P.decide(&never, 131.0, false), Action::Fetch);
        let stale = State { fetched_at: Some(0.0), attempted_at: Some(700.0) };
        assert_eq!(P.decide(&stale, 710.0, false), Action::UseHeld, "stale but the issuer is down");
    }

    #[test]
    fn a_clock_that_went_backwards_does_not_block_forever() {
        let s = State { fetched_at: None, attempted_at: Some(1000.0) };
        assert_eq!(P.decide(&s, 10.0, false), Action::Fetch);
    }
}
