use super::*;
use serde_json::json;

fn claims(value: Value) -> Object {
    value.as_object().cloned().unwrap_or_default()
}

#[test]
fn d27_a_sign_in_as_another_user_is_not_the_same_user() {
    let alice = claims(json!({ "sub": "alice", "acr": "LOA1" }));
    assert!(same_user(None, &alice), "nothing held");
    assert!(same_user(Some(&alice), &claims(json!({ "sub": "alice", "acr": "LOA2" }))));
    assert!(!same_user(Some(&alice), &claims(json!({ "sub": "mallory" }))));
    assert!(!same_user(Some(&alice), &claims(json!({ "sub": ["alice"] }))), "same value, other type");
    assert!(!same_user(Some(&alice), &Object::new()), "a token without sub is no one");
}
