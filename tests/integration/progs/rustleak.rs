// SPDX-License-Identifier: MIT
//! A Rust release binary (built -O, without frame pointers, as cargo's
//! release profile does) that leaks 10 boxed slices of 4000 bytes from
//! leak_box, two calls below main, and prints "done 10". run.py builds it.

use std::hint::black_box;

#[inline(never)]
fn leak_box(i: usize) -> &'static mut [u8] {
    // never zero: vec! takes malloc, not calloc
    Box::leak(vec![(i as u8) | 1; 4000].into_boxed_slice())
}

#[inline(never)]
fn serve(n: usize) -> usize {
    (0..n).map(|i| black_box(leak_box(i)).len() / 4000).sum()
}

fn main() {
    println!("done {}", serve(black_box(10)));
}
