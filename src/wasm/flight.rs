//! Single flight for the guard's I/O with the provider (README, "Quick start (edge worker)", The
//! provider): while one fetch is under way, every other request that needs what it brings awaits
//! it instead of starting its own, so a burst costs the provider one request. One mechanism for
//! the provider's documents ([`super::provider`]) and introspection answers ([`super::guard`]).

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// I/O under way, and what it brought once it landed.
pub struct Flight<T> {
    landed: Promise,
    outcome: Rc<RefCell<Option<T>>>,
}

impl<T> Clone for Flight<T> {
    fn clone(&self) -> Self {
        Flight { landed: self.landed.clone(), outcome: self.outcome.clone() }
    }
}

impl<T: Clone + 'static> Flight<T> {
    /// Starts `work`. It first runs on the next microtask, so the caller registers the flight
    /// before it can land; `landing` runs as it lands (to unregister it), before any request
    /// awaiting it goes on.
    pub fn start(work: impl Future<Output = T> + 'static, landing: impl FnOnce() + 'static) -> Self {
        let outcome = Rc::new(RefCell::new(None));
        let brought = outcome.clone();
        let landed = future_to_promise(async move {
            let value = work.await;
            *brought.borrow_mut() = Some(value);
            landing();
            Ok(JsValue::UNDEFINED)
        });
        Flight { landed, outcome }
    }

    /// What the flight brought, once it has landed (`None` only if its work never finished).
    pub async fn landed(&self) -> Option<T> {
        let _ = JsFuture::from(self.landed.clone()).await;
        self.outcome.borrow().clone()
    }
}
