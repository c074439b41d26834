//! The API's promises that the compiler checks: `Refused` fits in the error types people use,
//! strategies that never refuse hand out bare tickets, queries take `&self`, and every public
//! type is `Debug`. (That `Register` and `Call` are sealed is a `compile_fail` doctest on
//! `Register`.)

use rtcb::*;
use static_assertions::assert_impl_all;
use std::error::Error;
use std::fmt::Debug;

type P = u64;

// A refused change can be returned as `Box<dyn Error + Send + Sync>` or `anyhow::Error`.
assert_impl_all!(Refused<P>: Send, Sync, Error, Debug);
assert_impl_all!(Refused<[f32]>: Send, Sync, Error, Debug);
// The listener in it is `Sync` only because nothing reaches it through `&Listener`.
assert_impl_all!(Listener<P>: Send, Sync, Debug);

// Every public type implements Debug (the crate also denies `missing_debug_implementations`).
assert_impl_all!(Flow: Debug);
assert_impl_all!(Ticket: Debug);
assert_impl_all!(Strategy: Debug);
assert_impl_all!(Status: Debug);
assert_impl_all!(PerStrategy<P>: Debug);
assert_impl_all!(Registration<P>: Debug);
assert_impl_all!(SwitchRegistrar<P>: Debug);
assert_impl_all!(SwitchCaller<P>: Debug);
assert_impl_all!(spin_lock::Registrar<P>: Debug);
assert_impl_all!(spin_lock::Caller<P>: Debug);
assert_impl_all!(spsc_queue::Registrar<P>: Debug);
assert_impl_all!(spsc_queue::Caller<P>: Debug);
assert_impl_all!(trap::Registrar<P>: Debug);
assert_impl_all!(trap::Caller<P>: Debug);
assert_impl_all!(overwrite_ring::Registrar<P>: Debug);
assert_impl_all!(overwrite_ring::Caller<P>: Debug);
assert_impl_all!(mailbox::Registrar<P>: Debug);
assert_impl_all!(mailbox::Caller<P>: Debug);

/// A `?` on a refused change inside a function returning a boxed, thread-safe error.
fn two_sets_on_a_trap() -> Result<(), Box<dyn Error + Send + Sync>> {
    let (mut registrar, _caller) = trap::new::<P>();
    registrar.set(Listener::forever(|_| {}))?;
    registrar.set(Listener::forever(|_| {}))?;
    Ok(())
}

#[test]
fn a_refused_change_travels_as_a_boxed_error_and_keeps_its_listener() {
    let error = two_sets_on_a_trap().expect_err("a trap refuses a second set");
    assert!(error.to_string().contains("cannot take this set"));
    let refused = error
        .downcast::<Refused<P>>()
        .expect("the error is the Refused");
    assert!(refused.into_listener().is_some());
    // A refused clear, sent to another thread.
    let (mut queue, _caller) = spsc_queue::new::<P>();
    for _ in 0..spsc_queue::QUEUE_SLOTS {
        queue
            .set(Listener::forever(|_| {}))
            .expect("room in the queue");
    }
    let error: Box<dyn Error + Send + Sync> =
        Box::new(queue.clear().expect_err("the queue is full"));
    let text = std::thread::spawn(move || error.to_string())
        .join()
        .unwrap();
    assert!(text.contains("clear"));
}

#[test]
fn strategies_that_never_refuse_hand_out_bare_tickets() {
    let (mut mailbox, mut mailbox_caller) = mailbox::new::<P>();
    let (mut ring, mut ring_caller) = overwrite_ring::new::<P>();
    let (mut lock, mut lock_caller) = spin_lock::new::<P>();
    let tickets: [Ticket; 3] = [
        mailbox.set(Listener::forever(|_| {})),
        ring.set(Listener::forever(|_| {})),
        lock.set(Listener::forever(|_| {})),
    ];
    assert!(mailbox_caller.poll_listening() && ring_caller.poll_listening());
    assert!(lock_caller.poll_listening());
    assert!(mailbox.is_applied(tickets[0]) && ring.is_applied(tickets[1]));
    assert!(lock.is_applied(tickets[2]));
    let clears: [Ticket; 3] = [mailbox.clear(), ring.clear(), lock.clear()];
    assert!(clears.iter().zip(&tickets).all(|(c, t)| c > t));
    // Through the trait they still return a Result, like every strategy.
    let through_trait: Result<Ticket, Refused<P>> = Register::clear(&mut mailbox);
    assert!(through_trait.is_ok());
}

#[test]
fn queries_take_shared_references() {
    let (registrar, mut caller) = switchable::<P>();
    let mut registration = Registration::new(registrar, || Listener::forever(|_| {}));
    registration.listen_on(Some(Strategy::Mailbox));
    assert!(caller.poll_listening());
    registration.sync();
    let shared: &Registration<P> = &registration;
    assert_eq!(shared.status(Strategy::Mailbox), Status::Listening);
    assert_eq!(shared.status(Strategy::Trap), Status::Off);
    let registrars: &SwitchRegistrar<P> = shared.registrar();
    assert_eq!(registrars.get(Strategy::Mailbox).applied_changes(), 1);
    let ticket = registration
        .registrar_mut()
        .clear(Strategy::Mailbox)
        .unwrap();
    assert!(!registration
        .registrar()
        .is_applied(Strategy::Mailbox, ticket));
    assert!(!caller.poll_listening());
    assert!(registration
        .registrar()
        .is_applied(Strategy::Mailbox, ticket));
    let debug = format!("{registration:?}");
    assert!(debug.contains("Mailbox"), "{debug}");
}
