;; Matrix multiply kernels over packed operands, in WebAssembly SIMD (compiled by tools/wasm/build.mjs).
;;
;; Each output element is a sum of products taken in k order, one lane per output column, in the output's
;; precision: for float32, f32x4.mul rounds the product and f32x4.add rounds the partial sum, so every step
;; rounds to float32 exactly as PyTorch's generic BLAS does (no fused multiply-add anywhere). Splitting k
;; into KC-long panels keeps that order: a panel stores its partial sums to C in the output's precision and
;; the next panel continues from them.
;;
;; Layout in memory (byte addresses passed by the caller, see src/kernels/wasm/gemm.ts):
;;   A: the m rows in panels of MR rows; panel i holds k steps of MR values (rows i*MR .. i*MR+MR-1).
;;   B: the n columns in panels of NR columns; panel j holds k steps of NR values.
;;   C: mp × np, row-major, mp and np the padded sizes (multiples of MR and NR); padding lanes sum zeros.
;; float32: MR = 4, NR = 8 (a 4×8 tile is eight f32x4 accumulators). float64: MR = 4, NR = 4 (eight f64x2).
;;
;; The caller copies each operand's storage span in (TypedArray.set, a memcpy) and rearranges it here with
;; copy32/copy64, whose loads and stores move bits without converting; add_f32/add_f64 add the bias.
(module
  (memory (export "memory") 1)

  ;; KC: the k-panel length (a B panel of KC×NR stays in L1); MC: the rows of A swept per B panel (an MC×KC
  ;; block of A stays in L2). Both in elements.
  (global $KC i32 (i32.const 256))
  (global $MC i32 (i32.const 64))

  ;; C (mp×np at $c) = ($seeded ? C : 0) + A·B, float32. $seeded keeps what C holds as the sums' start (addmm's
  ;; bias where PyTorch adds it first).
  (func (export "gemm_f32") (param $a i32) (param $b i32) (param $c i32) (param $mp i32) (param $np i32) (param $k i32) (param $seeded i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $icEnd i32) (local $jp i32) (local $ip i32)
    (local $ldc i32)
    (local.set $ldc (i32.shl (local.get $np) (i32.const 2)))
    (loop $panels
      (local.set $kc (select (global.get $KC) (i32.sub (local.get $k) (local.get $pc))
        (i32.lt_u (global.get $KC) (i32.sub (local.get $k) (local.get $pc)))))
      (local.set $ic (i32.const 0))
      (loop $rowBlocks
        (local.set $icEnd (select (i32.add (local.get $ic) (global.get $MC)) (local.get $mp)
          (i32.lt_u (i32.add (local.get $ic) (global.get $MC)) (local.get $mp))))
        (local.set $jp (i32.const 0))
        (loop $columns
          (local.set $ip (local.get $ic))
          (loop $rows
            (call $tile_f32
              ;; A panel of rows ip..ip+3 at step pc: a + (ip*k + pc*MR) * 4 bytes
              (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $ip) (local.get $k)) (i32.shl (local.get $pc) (i32.const 2))) (i32.const 2)))
              ;; B panel of columns jp..jp+7 at step pc: b + (jp*k + pc*NR) * 4 bytes
              (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $jp) (local.get $k)) (i32.shl (local.get $pc) (i32.const 3))) (i32.const 2)))
              ;; C tile at (ip, jp)
              (i32.add (local.get $c) (i32.add (i32.mul (local.get $ip) (local.get $ldc)) (i32.shl (local.get $jp) (i32.const 2))))
              (local.get $ldc)
              (local.get $kc)
              (i32.or (local.get $seeded) (i32.ne (local.get $pc) (i32.const 0))))
            (br_if $rows (i32.lt_u (local.tee $ip (i32.add (local.get $ip) (i32.const 4))) (local.get $icEnd))))
          (br_if $columns (i32.lt_u (local.tee $jp (i32.add (local.get $jp) (i32.const 8))) (local.get $np))))
        (br_if $rowBlocks (i32.lt_u (local.tee $ic (local.get $icEnd)) (local.get $mp))))
      (br_if $panels (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (local.get $kc))) (local.get $k)))))

  ;; One 4×8 float32 tile: continues (or, unless $continue, starts from zero) the sums over $kc steps.
  (func $tile_f32 (param $ap i32) (param $bp i32) (param $cp i32) (param $ldc i32) (param $kc i32) (param $continue i32)
    (local $end i32) (local $row v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local.set $c1 (i32.add (local.get $cp) (local.get $ldc)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
    (if (local.get $continue)
      (then
        (local.set $c00 (v128.load (local.get $cp)))
        (local.set $c01 (v128.load offset=16 (local.get $cp)))
        (local.set $c10 (v128.load (local.get $c1)))
        (local.set $c11 (v128.load offset=16 (local.get $c1)))
        (local.set $c20 (v128.load (local.get $c2)))
        (local.set $c21 (v128.load offset=16 (local.get $c2)))
        (local.set $c30 (v128.load (local.get $c3)))
        (local.set $c31 (v128.load offset=16 (local.get $c3)))))
    ;; each step reads 4 values of A (16 bytes) and 8 of B (32 bytes)
    (local.set $end (i32.add (local.get $ap) (i32.shl (local.get $kc) (i32.const 4))))
    (loop $steps
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $row (v128.load32_splat (local.get $ap)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $row) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $row) (local.get $b1))))
      (local.set $row (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $row) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $row) (local.get $b1))))
      (local.set $row (v128.load32_splat offset=8 (local.get $ap)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $row) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $row) (local.get $b1))))
      (local.set $row (v128.load32_splat offset=12 (local.get $ap)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $row) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $row) (local.get $b1))))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $steps (i32.lt_u (local.tee $ap (i32.add (local.get $ap) (i32.const 16))) (local.get $end))))
    (v128.store (local.get $cp) (local.get $c00))
    (v128.store offset=16 (local.get $cp) (local.get $c01))
    (v128.store (local.get $c1) (local.get $c10))
    (v128.store offset=16 (local.get $c1) (local.get $c11))
    (v128.store (local.get $c2) (local.get $c20))
    (v128.store offset=16 (local.get $c2) (local.get $c21))
    (v128.store (local.get $c3) (local.get $c30))
    (v128.store offset=16 (local.get $c3) (local.get $c31)))

  ;; C (mp×np at $c) = ($seeded ? C : 0) + A·B, float64 (and int64, whose storage is float64: its sums of
  ;; integer products are exact to 2^53 in any order).
  (func (export "gemm_f64") (param $a i32) (param $b i32) (param $c i32) (param $mp i32) (param $np i32) (param $k i32) (param $seeded i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $icEnd i32) (local $jp i32) (local $ip i32)
    (local $ldc i32)
    (local.set $ldc (i32.shl (local.get $np) (i32.const 3)))
    (loop $panels
      (local.set $kc (select (global.get $KC) (i32.sub (local.get $k) (local.get $pc))
        (i32.lt_u (global.get $KC) (i32.sub (local.get $k) (local.get $pc)))))
      (local.set $ic (i32.const 0))
      (loop $rowBlocks
        (local.set $icEnd (select (i32.add (local.get $ic) (global.get $MC)) (local.get $mp)
          (i32.lt_u (i32.add (local.get $ic) (global.get $MC)) (local.get $mp))))
        (local.set $jp (i32.const 0))
        (loop $columns
          (local.set $ip (local.get $ic))
          (loop $rows
            (call $tile_f64
              ;; A panel of rows ip..ip+3 at step pc: a + (ip*k + pc*MR) * 8 bytes
              (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $ip) (local.get $k)) (i32.shl (local.get $pc) (i32.const 2))) (i32.const 3)))
              ;; B panel of columns jp..jp+3 at step pc: b + (jp*k + pc*NR) * 8 bytes
              (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $jp) (local.get $k)) (i32.shl (local.get $pc) (i32.const 2))) (i32.const 3)))
              (i32.add (local.get $c) (i32.add (i32.mul (local.get $ip) (local.get $ldc)) (i32.shl (local.get $jp) (i32.const 3))))
              (local.get $ldc)
              (local.get $kc)
              (i32.or (local.get $seeded) (i32.ne (local.get $pc) (i32.const 0))))
            (br_if $rows (i32.lt_u (local.tee $ip (i32.add (local.get $ip) (i32.const 4))) (local.get $icEnd))))
          (br_if $columns (i32.lt_u (local.tee $jp (i32.add (local.get $jp) (i32.const 4))) (local.get $np))))
        (br_if $rowBlocks (i32.lt_u (local.tee $ic (local.get $icEnd)) (local.get $mp))))
      (br_if $panels (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (local.get $kc))) (local.get $k)))))

  ;; One 4×4 float64 tile, as $tile_f32 with f64x2 lanes.
  (func $tile_f64 (param $ap i32) (param $bp i32) (param $cp i32) (param $ldc i32) (param $kc i32) (param $continue i32)
    (local $end i32) (local $row v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local.set $c1 (i32.add (local.get $cp) (local.get $ldc)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
    (if (local.get $continue)
      (then
        (local.set $c00 (v128.load (local.get $cp)))
        (local.set $c01 (v128.load offset=16 (local.get $cp)))
        (local.set $c10 (v128.load (local.get $c1)))
        (local.set $c11 (v128.load offset=16 (local.get $c1)))
        (local.set $c20 (v128.load (local.get $c2)))
        (local.set $c21 (v128.load offset=16 (local.get $c2)))
        (local.set $c30 (v128.load (local.get $c3)))
        (local.set $c31 (v128.load offset=16 (local.get $c3)))))
    ;; each step reads 4 values of A (32 bytes) and 4 of B (32 bytes)
    (local.set $end (i32.add (local.get $ap) (i32.shl (local.get $kc) (i32.const 5))))
    (loop $steps
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $row (v128.load64_splat (local.get $ap)))
      (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $row) (local.get $b0))))
      (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $row) (local.get $b1))))
      (local.set $row (v128.load64_splat offset=8 (local.get $ap)))
      (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $row) (local.get $b0))))
      (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $row) (local.get $b1))))
      (local.set $row (v128.load64_splat offset=16 (local.get $ap)))
      (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $row) (local.get $b0))))
      (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $row) (local.get $b1))))
      (local.set $row (v128.load64_splat offset=24 (local.get $ap)))
      (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $row) (local.get $b0))))
      (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $row) (local.get $b1))))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $steps (i32.lt_u (local.tee $ap (i32.add (local.get $ap) (i32.const 32))) (local.get $end))))
    (v128.store (local.get $cp) (local.get $c00))
    (v128.store offset=16 (local.get $cp) (local.get $c01))
    (v128.store (local.get $c1) (local.get $c10))
    (v128.store offset=16 (local.get $c1) (local.get $c11))
    (v128.store (local.get $c2) (local.get $c20))
    (v128.store offset=16 (local.get $c2) (local.get $c21))
    (v128.store (local.get $c3) (local.get $c30))
    (v128.store offset=16 (local.get $c3) (local.get $c31)))
;; Strided copies: element (i, j) of a rows×cols matrix moves from $src + i*$srs + j*$scs to $dst + i*$drs +
  ;; j*$dcs (all strides in bytes), rows outer. Bits move unchanged (a NaN's payload too).
  (func (export "copy32") (param $src i32) (param $srs i32) (param $scs i32) (param $dst i32) (param $drs i32) (param $dcs i32) (param $rows i32) (param $cols i32)
    (local $s i32) (local $d i32) (local $j i32)
    (loop $rowLoop
      (local.set $s (local.get $src))
      (local.set $d (local.get $dst))
      (local.set $j (local.get $cols))
      (loop $columnLoop
        (i32.store (local.get $d) (i32.load (local.get $s)))
        (local.set $s (i32.add (local.get $s) (local.get $scs)))
        (local.set $d (i32.add (local.get $d) (local.get $dcs)))
        (br_if $columnLoop (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
      (local.set $src (i32.add (local.get $src) (local.get $srs)))
      (local.set $dst (i32.add (local.get $dst) (local.get $drs)))
      (br_if $rowLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  (func (export "copy64") (param $src i32) (param $srs i32) (param $scs i32) (param $dst i32) (param $drs i32) (param $dcs i32) (param $rows i32) (param $cols i32)
    (local $s i32) (local $d i32) (local $j i32)
    (loop $rowLoop
      (local.set $s (local.get $src))
      (local.set $d (local.get $dst))
      (local.set $j (local.get $cols))
      (loop $columnLoop
        (i64.store (local.get $d) (i64.load (local.get $s)))
        (local.set $s (i32.add (local.get $s) (local.get $scs)))
        (local.set $d (i32.add (local.get $d) (local.get $dcs)))
        (br_if $columnLoop (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
      (local.set $src (i32.add (local.get $src) (local.get $srs)))
      (local.set $dst (i32.add (local.get $dst) (local.get $drs)))
      (br_if $rowLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; $dst (rows×cols, contiguous) = X + Y, X and Y strided as in copy32 (byte strides), added in the precision
  ;; of the name: addmm's bias added to the finished sums.
  (func (export "add_f32") (param $x i32) (param $xrs i32) (param $xcs i32) (param $y i32) (param $yrs i32) (param $ycs i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $xp i32) (local $yp i32) (local $j i32)
    (loop $rowLoop
      (local.set $xp (local.get $x))
      (local.set $yp (local.get $y))
      (local.set $j (local.get $cols))
      (loop $columnLoop
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $xp)) (f32.load (local.get $yp))))
        (local.set $xp (i32.add (local.get $xp) (local.get $xcs)))
        (local.set $yp (i32.add (local.get $yp) (local.get $ycs)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br_if $columnLoop (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
      (local.set $x (i32.add (local.get $x) (local.get $xrs)))
      (local.set $y (i32.add (local.get $y) (local.get $yrs)))
      (br_if $rowLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  (func (export "add_f64") (param $x i32) (param $xrs i32) (param $xcs i32) (param $y i32) (param $yrs i32) (param $ycs i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $xp i32) (local $yp i32) (local $j i32)
    (loop $rowLoop
      (local.set $xp (local.get $x))
      (local.set $yp (local.get $y))
      (local.set $j (local.get $cols))
      (loop $columnLoop
        (f64.store (local.get $dst) (f64.add (f64.load (local.get $xp)) (f64.load (local.get $yp))))
        (local.set $xp (i32.add (local.get $xp) (local.get $xcs)))
        (local.set $yp (i32.add (local.get $yp) (local.get $ycs)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br_if $columnLoop (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
      (local.set $x (i32.add (local.get $x) (local.get $xrs)))
      (local.set $y (i32.add (local.get $y) (local.get $yrs)))
      (br_if $rowLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))
)
