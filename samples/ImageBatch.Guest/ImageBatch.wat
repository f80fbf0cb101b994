;; ImageBatch guest: converts a binary PPM image (P6, RGB) into a smoothed grayscale PGM (P5).
;;
;; Everything above $heap_base belongs to a bump allocator. The host calls `reset` before each
;; image, so the buffers of one image reuse - overwrite - the bytes of the previous one. When the
;; arena runs out, `alloc` grows linear memory, and the engine may then move all of it.
;;
;; Exports: memory, alloc(size) -> ptr, reset(), convert(ptr, len) -> outPtr (0 on bad input),
;; output_len() -> length of the last convert's output.
(module
  (memory (export "memory") 1)

  (global $heap_base i32 (i32.const 64))
  (global $heap_top (mut i32) (i32.const 64))
  (global $output_len (mut i32) (i32.const 0))

  ;; Parse cursor over the input being converted.
  (global $cursor (mut i32) (i32.const 0))
  (global $limit (mut i32) (i32.const 0))

  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local $end i32)
    (local $pages i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap_top) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $ptr))
      (then (return (i32.const 0))))
    ;; pages = ceil(end / 64 KiB)
    (local.set $pages
      (i32.add
        (i32.shr_u (local.get $end) (i32.const 16))
        (i32.ne (i32.and (local.get $end) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap_top (local.get $end))
    (local.get $ptr))

  (func (export "reset")
    (global.set $heap_top (global.get $heap_base)))

  (func (export "output_len") (result i32)
    (global.get $output_len))

  (func $is_space (param $c i32) (result i32)
    (i32.or
      (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 10)))
      (i32.or (i32.eq (local.get $c) (i32.const 13)) (i32.eq (local.get $c) (i32.const 9)))))

  ;; Reads an unsigned decimal after optional whitespace; -1 when there is none or it exceeds 65535.
  (func $read_uint (result i32)
    (local $value i32)
    (local $digits i32)
    (local $digit i32)
    (block $skipped
      (loop $skip
        (br_if $skipped (i32.ge_u (global.get $cursor) (global.get $limit)))
        (br_if $skipped (i32.eqz (call $is_space (i32.load8_u (global.get $cursor)))))
        (global.set $cursor (i32.add (global.get $cursor) (i32.const 1)))
        (br $skip)))
    (block $parsed
      (loop $parse
        (br_if $parsed (i32.ge_u (global.get $cursor) (global.get $limit)))
        (local.set $digit (i32.sub (i32.load8_u (global.get $cursor)) (i32.const 48)))
        (br_if $parsed (i32.gt_u (local.get $digit) (i32.const 9)))
        (local.set $value (i32.add (i32.mul (local.get $value) (i32.const 10)) (local.get $digit)))
        (if (i32.gt_u (local.get $value) (i32.const 65535))
          (then (return (i32.const -1))))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (global.set $cursor (i32.add (global.get $cursor) (i32.const 1)))
        (br $parse)))
    (if (result i32) (local.get $digits)
      (then (local.get $value))
      (else (i32.const -1))))

  ;; Writes `value` in decimal at `dst`; returns the address after the last digit.
  (func $write_uint (param $dst i32) (param $value i32) (result i32)
    (local $digits i32)
    (local $rest i32)
    (local $pos i32)
    (local $end i32)
    (local.set $digits (i32.const 1))
    (local.set $rest (local.get $value))
    (block $counted
      (loop $count
        (br_if $counted (i32.lt_u (local.get $rest) (i32.const 10)))
        (local.set $rest (i32.div_u (local.get $rest) (i32.const 10)))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (br $count)))
    (local.set $end (i32.add (local.get $dst) (local.get $digits)))
    (local.set $pos (local.get $end))
    (local.set $rest (local.get $value))
    (loop $emit
      (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
      (i32.store8 (local.get $pos) (i32.add (i32.const 48) (i32.rem_u (local.get $rest) (i32.const 10))))
      (local.set $rest (i32.div_u (local.get $rest) (i32.const 10)))
      (br_if $emit (i32.gt_u (local.get $pos) (local.get $dst))))
    (local.get $end))

  ;; Gray value at (x, y), coordinates clamped to the image so the filter repeats edge pixels.
  (func $pixel (param $gray i32) (param $w i32) (param $h i32) (param $x i32) (param $y i32) (result i32)
    (if (i32.lt_s (local.get $x) (i32.const 0)) (then (local.set $x (i32.const 0))))
    (if (i32.ge_s (local.get $x) (local.get $w)) (then (local.set $x (i32.sub (local.get $w) (i32.const 1)))))
    (if (i32.lt_s (local.get $y) (i32.const 0)) (then (local.set $y (i32.const 0))))
    (if (i32.ge_s (local.get $y) (local.get $h)) (then (local.set $y (i32.sub (local.get $h) (i32.const 1)))))
    (i32.load8_u
      (i32.add (local.get $gray) (i32.add (i32.mul (local.get $y) (local.get $w)) (local.get $x)))))

  ;; Row part of the separable 3x3 Gaussian: 1*left + 2*centre + 1*right.
  (func $row (param $gray i32) (param $w i32) (param $h i32) (param $x i32) (param $y i32) (result i32)
    (i32.add
      (i32.add
        (call $pixel (local.get $gray) (local.get $w) (local.get $h) (i32.sub (local.get $x) (i32.const 1)) (local.get $y))
        (i32.shl (call $pixel (local.get $gray) (local.get $w) (local.get $h) (local.get $x) (local.get $y)) (i32.const 1)))
      (call $pixel (local.get $gray) (local.get $w) (local.get $h) (i32.add (local.get $x) (i32.const 1)) (local.get $y))))

  ;; 3x3 Gaussian [1 2 1; 2 4 2; 1 2 1] / 16, rounded.
  (func $smooth (param $gray i32) (param $w i32) (param $h i32) (param $x i32) (param $y i32) (result i32)
    (i32.shr_u
      (i32.add
        (i32.add
          (i32.add
            (call $row (local.get $gray) (local.get $w) (local.get $h) (local.get $x) (i32.sub (local.get $y) (i32.const 1)))
            (i32.shl (call $row (local.get $gray) (local.get $w) (local.get $h) (local.get $x) (local.get $y)) (i32.const 1)))
          (call $row (local.get $gray) (local.get $w) (local.get $h) (local.get $x) (i32.add (local.get $y) (i32.const 1))))
        (i32.const 8))
      (i32.const 4)))

  (func (export "convert") (param $src i32) (param $len i32) (result i32)
    (local $w i32)
    (local $h i32)
    (local $pixels i32)
    (local $rgb i32)
    (local $gray i32)
    (local $out i32)
    (local $dst i32)
    (local $i i32)
    (local $p i32)
    (local $x i32)
    (local $y i32)
    (global.set $output_len (i32.const 0))

    ;; Header: "P6" <ws> width <ws> height <ws> 255 <one ws byte>
    (if (i32.lt_u (local.get $len) (i32.const 2)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load16_u (local.get $src)) (i32.const 0x3650)) (then (return (i32.const 0))))
    (global.set $cursor (i32.add (local.get $src) (i32.const 2)))
    (global.set $limit (i32.add (local.get $src) (local.get $len)))
    (local.set $w (call $read_uint))
    (local.set $h (call $read_uint))
    (if (i32.or (i32.lt_s (local.get $w) (i32.const 1)) (i32.gt_s (local.get $w) (i32.const 16384)))
      (then (return (i32.const 0))))
    (if (i32.or (i32.lt_s (local.get $h) (i32.const 1)) (i32.gt_s (local.get $h) (i32.const 16384)))
      (then (return (i32.const 0))))
    (if (i32.ne (call $read_uint) (i32.const 255)) (then (return (i32.const 0))))
    (if (i32.ge_u (global.get $cursor) (global.get $limit)) (then (return (i32.const 0))))
    (if (i32.eqz (call $is_space (i32.load8_u (global.get $cursor)))) (then (return (i32.const 0))))
    (local.set $rgb (i32.add (global.get $cursor) (i32.const 1)))
    (local.set $pixels (i32.mul (local.get $w) (local.get $h)))
    (if (i32.lt_u (i32.sub (global.get $limit) (local.get $rgb)) (i32.mul (local.get $pixels) (i32.const 3)))
      (then (return (i32.const 0))))

    ;; Luma, BT.601 weights in 8-bit fixed point: (77 R + 150 G + 29 B + 128) >> 8
    (local.set $gray (call $alloc (local.get $pixels)))
    (if (i32.eqz (local.get $gray)) (then (return (i32.const 0))))
    (block $gray_done
      (loop $gray_loop
        (br_if $gray_done (i32.ge_u (local.get $i) (local.get $pixels)))
        (local.set $p (i32.add (local.get $rgb) (i32.mul (local.get $i) (i32.const 3))))
        (i32.store8
          (i32.add (local.get $gray) (local.get $i))
          (i32.shr_u
            (i32.add
              (i32.add
                (i32.add
                  (i32.mul (i32.load8_u (local.get $p)) (i32.const 77))
                  (i32.mul (i32.load8_u offset=1 (local.get $p)) (i32.const 150)))
                (i32.mul (i32.load8_u offset=2 (local.get $p)) (i32.const 29)))
              (i32.const 128))
            (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $gray_loop)))

    ;; Output: "P5\n<w> <h>\n255\n" (at most 19 bytes) followed by the smoothed pixels.
    (local.set $out (call $alloc (i32.add (local.get $pixels) (i32.const 32))))
    (if (i32.eqz (local.get $out)) (then (return (i32.const 0))))
    (i32.store16 (local.get $out) (i32.const 0x3550))
    (i32.store8 offset=2 (local.get $out) (i32.const 10))
    (local.set $dst (call $write_uint (i32.add (local.get $out) (i32.const 3)) (local.get $w)))
    (i32.store8 (local.get $dst) (i32.const 32))
    (local.set $dst (call $write_uint (i32.add (local.get $dst) (i32.const 1)) (local.get $h)))
    ;; "\n255\n"
    (i32.store (local.get $dst) (i32.const 0x3535320A))
    (i32.store8 offset=4 (local.get $dst) (i32.const 10))
    (local.set $dst (i32.add (local.get $dst) (i32.const 5)))

    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $h)))
        (local.set $x (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $x) (local.get $w)))
            (i32.store8
              (local.get $dst)
              (call $smooth (local.get $gray) (local.get $w) (local.get $h) (local.get $x) (local.get $y)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))

    (global.set $output_len (i32.sub (local.get $dst) (local.get $out)))
    (local.get $out))
)
