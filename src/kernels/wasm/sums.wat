;; Float32 sums in PyTorch 1.13's orders, in WebAssembly SIMD (compiled by tools/wasm/build.mjs).
;;
;; f32x4.add rounds every partial sum to float32 as ATen's AVX2 float vectors do, so a sum taken in ATen's
;; order gives its bits. The caller (src/kernels/wasm/sums.ts) copies the operands in after the accumulators.
(module
  (memory (export "memory") 1)

  ;; The cascade's accumulators, at byte 0: 4 levels, each 4 partial sums (ILP) × 8 lanes (one AVX2 vector,
  ;; two v128 here) = 32 floats = 128 bytes; 512 bytes in all. Operands follow (OPERANDS_AT in sums.ts).

  ;; The term at byte $p: the value there, or with $squared the square of its difference from the value
  ;; $yd bytes further on (mse_loss's (input - target)², the difference rounded before it is squared).
  (func $term (param $p i32) (param $yd i32) (param $squared i32) (result v128)
    (local $d v128)
    (if (result v128) (local.get $squared)
      (then
        (local.set $d (f32x4.sub (v128.load (local.get $p)) (v128.load (i32.add (local.get $p) (local.get $yd)))))
        (f32x4.mul (local.get $d) (local.get $d)))
      (else (v128.load (local.get $p)))))

  (func $term1 (param $p i32) (param $yd i32) (param $squared i32) (result f32)
    (local $d f32)
    (if (result f32) (local.get $squared)
      (then
        (local.set $d (f32.sub (f32.load (local.get $p)) (f32.load (i32.add (local.get $p) (local.get $yd)))))
        (f32.mul (local.get $d) (local.get $d)))
      (else (f32.load (local.get $p)))))

  ;; acc[$to .. $to+$bytes) += acc[$from ..), vector by vector; with $clear, acc[$from ..) is zeroed after.
  (func $fold (param $to i32) (param $from i32) (param $bytes i32) (param $clear i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $to) (local.get $bytes)))
    (loop $vectors
      (v128.store (local.get $to) (f32x4.add (v128.load (local.get $to)) (v128.load (local.get $from))))
      (if (local.get $clear) (then (v128.store (local.get $from) (v128.const i32x4 0 0 0 0))))
      (local.set $from (i32.add (local.get $from) (i32.const 16)))
      (br_if $vectors (i32.lt_u (local.tee $to (i32.add (local.get $to) (i32.const 16))) (local.get $end)))))

  ;; The float32 sum of $n ≥ 8 terms from byte $x, in the order of ATen's cascade_sum on AVX2 with one thread
  ;; (the same order as compileCascadeSum in src/kernels/reduce.ts, which documents it): runs of 8 terms are
  ;; vectors, taken 4 at a time into 32 columns; rows of 32 are summed in groups of 2^levelPower rows, each
  ;; group from zero, carried up a 4-level cascade; then the leftover rows, the levels, leftover vectors, the
  ;; 4 partial sums, the scalar tail and finally the 8 lanes in order.
  (func (export "cascade_sum") (param $x i32) (param $yd i32) (param $n i32) (param $squared i32) (result f32)
    (local $vectors i32) (local $rows i32) (local $levelPower i32) (local $levelStep i32) (local $levelMask i32)
    (local $i i32) (local $p i32) (local $q i32) (local $r i32) (local $groupEnd i32) (local $level i32) (local $end i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $s4 v128) (local $s5 v128) (local $s6 v128) (local $s7 v128) (local $d v128)
    (local $lanes v128) (local $total f32)
    (local.set $vectors (i32.shr_u (local.get $n) (i32.const 3)))
    (local.set $rows (i32.shr_u (local.get $vectors) (i32.const 2)))
    ;; levelPower = max(4, floor(CeilLog2(rows) / 4)), CeilLog2 as c10's (1 for rows ≤ 2)
    (local.set $levelPower (i32.shr_u
      (select (i32.const 1) (i32.sub (i32.const 32) (i32.clz (i32.sub (local.get $rows) (i32.const 1))))
        (i32.le_u (local.get $rows) (i32.const 2)))
      (i32.const 2)))
    (if (i32.lt_u (local.get $levelPower) (i32.const 4)) (then (local.set $levelPower (i32.const 4))))
    (local.set $levelStep (i32.shl (i32.const 1) (local.get $levelPower)))
    (local.set $levelMask (i32.sub (local.get $levelStep) (i32.const 1)))
    (local.set $p (i32.const 0))
    (loop $zero
      (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
      (br_if $zero (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (i32.const 512))))
    (local.set $p (local.get $x))
    (block $groupsDone
      (loop $groups
        (br_if $groupsDone (i32.gt_u (i32.add (local.get $i) (local.get $levelStep)) (local.get $rows)))
        ;; Level 0: this group's 32 column sums, from zero, in eight vectors.
        (local.set $s0 (v128.const i32x4 0 0 0 0)) (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0)) (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $s4 (v128.const i32x4 0 0 0 0)) (local.set $s5 (v128.const i32x4 0 0 0 0))
        (local.set $s6 (v128.const i32x4 0 0 0 0)) (local.set $s7 (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $p))
        (local.set $groupEnd (i32.add (local.get $p) (i32.shl (local.get $levelStep) (i32.const 7))))
        (if (local.get $squared)
          (then
            (loop $squaredRows
              (local.set $r (i32.add (local.get $q) (local.get $yd)))
              (local.set $d (f32x4.sub (v128.load offset=0 (local.get $q)) (v128.load offset=0 (local.get $r))))
              (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
              (local.set $d (f32x4.sub (v128.load offset=16 (local.get $q)) (v128.load offset=16 (local.get $r))))
              (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $d) (local.get $d))))
              (local.set $d (f32x4.sub (v128.load offset=32 (local.get $q)) (v128.load offset=32 (local.get $r))))
              (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $d) (local.get $d))))
              (local.set $d (f32x4.sub (v128.load offset=48 (local.get $q)) (v128.load offset=48 (local.get $r))))
              (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $d) (local.get $d))))
              (local.set $d (f32x4.sub (v128.load offset=64 (local.get $q)) (v128.load offset=64 (local.get $r))))
              (local.set $s4 (f32x4.add (local.get $s4) (f32x4.mul (local.get $d) (local.get $d))))
              (local.set $d (f32x4.sub (v128.load offset=80 (local.get $q)) (v128.load offset=80 (local.get $r))))
              (local.set $s5 (f32x4.add (local.get $s5) (f32x4.mul (local.get $d) (local.get $d))))
              (local.set $d (f32x4.sub (v128.load offset=96 (local.get $q)) (v128.load offset=96 (local.get $r))))
              (local.set $s6 (f32x4.add (local.get $s6) (f32x4.mul (local.get $d) (local.get $d))))
              (local.set $d (f32x4.sub (v128.load offset=112 (local.get $q)) (v128.load offset=112 (local.get $r))))
              (local.set $s7 (f32x4.add (local.get $s7) (f32x4.mul (local.get $d) (local.get $d))))
              (br_if $squaredRows (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 128))) (local.get $groupEnd)))))
          (else
            (loop $plainRows
              (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=0 (local.get $q))))
              (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=16 (local.get $q))))
              (local.set $s2 (f32x4.add (local.get $s2) (v128.load offset=32 (local.get $q))))
              (local.set $s3 (f32x4.add (local.get $s3) (v128.load offset=48 (local.get $q))))
              (local.set $s4 (f32x4.add (local.get $s4) (v128.load offset=64 (local.get $q))))
              (local.set $s5 (f32x4.add (local.get $s5) (v128.load offset=80 (local.get $q))))
              (local.set $s6 (f32x4.add (local.get $s6) (v128.load offset=96 (local.get $q))))
              (local.set $s7 (f32x4.add (local.get $s7) (v128.load offset=112 (local.get $q))))
              (br_if $plainRows (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 128))) (local.get $groupEnd))))))
        ;; The group's sums join level 1.
        (v128.store offset=128 (i32.const 0) (f32x4.add (v128.load offset=128 (i32.const 0)) (local.get $s0)))
        (v128.store offset=144 (i32.const 0) (f32x4.add (v128.load offset=144 (i32.const 0)) (local.get $s1)))
        (v128.store offset=160 (i32.const 0) (f32x4.add (v128.load offset=160 (i32.const 0)) (local.get $s2)))
        (v128.store offset=176 (i32.const 0) (f32x4.add (v128.load offset=176 (i32.const 0)) (local.get $s3)))
        (v128.store offset=192 (i32.const 0) (f32x4.add (v128.load offset=192 (i32.const 0)) (local.get $s4)))
        (v128.store offset=208 (i32.const 0) (f32x4.add (v128.load offset=208 (i32.const 0)) (local.get $s5)))
        (v128.store offset=224 (i32.const 0) (f32x4.add (v128.load offset=224 (i32.const 0)) (local.get $s6)))
        (v128.store offset=240 (i32.const 0) (f32x4.add (v128.load offset=240 (i32.const 0)) (local.get $s7)))
        (local.set $i (i32.add (local.get $i) (local.get $levelStep)))
        (local.set $p (local.get $groupEnd))
        ;; Each completed run of groups carries a level into the next one up (levels 2 and 3).
        (local.set $level (i32.const 2))
        (block $carried
          (loop $carry
            (br_if $carried (i32.and (local.get $i)
              (i32.shl (local.get $levelMask) (i32.mul (i32.sub (local.get $level) (i32.const 1)) (local.get $levelPower)))))
            (call $fold (i32.shl (local.get $level) (i32.const 7)) (i32.shl (i32.sub (local.get $level) (i32.const 1)) (i32.const 7)) (i32.const 128) (i32.const 1))
            (br_if $carry (i32.lt_u (local.tee $level (i32.add (local.get $level) (i32.const 1))) (i32.const 4)))))
        (br $groups)))
    ;; Rows left over after the groups go straight into level 0.
    (block $rowsDone
      (loop $leftRows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $q (i32.const 0))
        (loop $columns
          (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q))
            (call $term (i32.add (local.get $p) (local.get $q)) (local.get $yd) (local.get $squared))))
          (br_if $columns (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 16))) (i32.const 128))))
        (local.set $p (i32.add (local.get $p) (i32.const 128)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $leftRows)))
    (if (i32.ge_u (local.get $rows) (local.get $levelStep))
      (then
        (call $fold (i32.const 0) (i32.const 128) (i32.const 128) (i32.const 0))
        (call $fold (i32.const 0) (i32.const 256) (i32.const 128) (i32.const 0))
        (call $fold (i32.const 0) (i32.const 384) (i32.const 128) (i32.const 0))))
    ;; Vectors left over after the rows go into the first partial sum.
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $vectors) (i32.const 5))))
    (block $vectorsDone
      (loop $leftVectors
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store offset=0 (i32.const 0) (f32x4.add (v128.load offset=0 (i32.const 0)) (call $term (local.get $p) (local.get $yd) (local.get $squared))))
        (v128.store offset=16 (i32.const 0) (f32x4.add (v128.load offset=16 (i32.const 0))
          (call $term (i32.add (local.get $p) (i32.const 16)) (local.get $yd) (local.get $squared))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $leftVectors)))
    ;; The 4 partial sums, into the first.
    (call $fold (i32.const 0) (i32.const 32) (i32.const 32) (i32.const 0))
    (call $fold (i32.const 0) (i32.const 64) (i32.const 32) (i32.const 0))
    (call $fold (i32.const 0) (i32.const 96) (i32.const 32) (i32.const 0))
    ;; The scalar tail in order, then the 8 lanes in order.
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $total (f32.add (local.get $total) (call $term1 (local.get $p) (local.get $yd) (local.get $squared))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.set $lanes (v128.load offset=0 (i32.const 0)))
    (local.set $total (f32.add (local.get $total) (f32x4.extract_lane 0 (local.get $lanes))))
    (local.set $total (f32.add (local.get $total) (f32x4.extract_lane 1 (local.get $lanes))))
    (local.set $total (f32.add (local.get $total) (f32x4.extract_lane 2 (local.get $lanes))))
    (local.set $total (f32.add (local.get $total) (f32x4.extract_lane 3 (local.get $lanes))))
    (local.set $lanes (v128.load offset=16 (i32.const 0)))
    (local.set $total (f32.add (local.get $total) (f32x4.extract_lane 0 (local.get $lanes))))
    (local.set $total (f32.add (local.get $total) (f32x4.extract_lane 1 (local.get $lanes))))
    (local.set $total (f32.add (local.get $total) (f32x4.extract_lane 2 (local.get $lanes))))
    (f32.add (local.get $total) (f32x4.extract_lane 3 (local.get $lanes))))

  ;; $start + Σ a[l]·b[l] over $k steps of $as and $bs bytes, summed in l order as PyTorch's generic gemm sums
  ;; a dot product: each product and each partial sum rounded to float32, one dependent chain.
  (func (export "dot") (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $k i32) (param $start f32) (result f32)
    (local $sum f32)
    (local.set $sum (local.get $start))
    (block $done
      (loop $steps
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (local.get $as)))
        (local.set $b (i32.add (local.get $b) (local.get $bs)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $steps)))
    (local.get $sum)))
