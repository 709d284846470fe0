//! Tests of [`load`](super::load): every accepted layout, and one test
//! per mistake a user can make, asserting the error kind and that the
//! message points at the file, the array and the first bad place.

use super::*;
use crate::data::testutil::TempDir;
use ndarray::{Array1, Array2, Array3, array};

const N: usize = 4;
const L: usize = 8;

/// A valid dataset: X (4, 8, 1) f32, Y_seg (4, 8) u8, Y_cls (4,) i64.
fn fixture(tag: &str) -> (TempDir, DataFiles) {
    let dir = TempDir::new(tag);
    let files = DataFiles::in_dir(dir.path());
    let x = Array3::from_shape_fn((N, L, 1), |(i, j, _)| (i * 10 + j) as f32);
    let seg = Array2::from_shape_fn((N, L), |(_, j)| (j * 6 / L) as u8);
    npy::write(&files.x, &x).unwrap();
    npy::write(&files.y_seg, &seg).unwrap();
    npy::write(&files.y_cls, &array![0i64, 17, 5, -1]).unwrap();
    (dir, files)
}

/// Loads with 6 layers and 18 areas and returns the error message.
fn fails(files: &DataFiles) -> (Error, String) {
    let e = load(files, 6, 18).unwrap_err();
    let msg = e.to_string();
    (e, msg)
}

fn has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "{msg:?} lacks {p:?}");
    }
}

#[test]
fn loads_keras_layout() {
    let (_dir, files) = fixture("ds-keras");
    let ds = load(&files, 6, 18).unwrap();
    assert_eq!((ds.len(), ds.profile_len()), (N, L));
    assert_eq!(ds.x[[2, 3]], 23.0);
    let Labels::Classes(seg) = &ds.seg else { panic!() };
    assert_eq!(seg[[1, 7]], 5);
    assert_eq!(ds.cls, Labels::Classes(array![0, 17, 5, -1].into_dyn()));
}

#[test]
fn integer_labels_with_a_trailing_axis_of_one_load_as_indices() {
    let (_dir, files) = fixture("ds-trailing1");
    let seg = Array3::from_shape_fn((N, L, 1), |(_, j, _)| (j * 6 / L) as u8);
    npy::write(&files.y_seg, &seg).unwrap();
    npy::write(&files.y_cls, &array![[0i64], [17], [5], [-1]]).unwrap();
    let ds = load(&files, 6, 18).unwrap();
    let Labels::Classes(seg) = &ds.seg else { panic!() };
    assert_eq!((seg.shape(), seg[[1, 7]]), (&[N, L][..], 5));
    assert_eq!(ds.cls, Labels::Classes(array![0, 17, 5, -1].into_dyn()));
}

#[test]
fn loads_2d_f64_x_and_one_hot_labels() {
    let (_dir, files) = fixture("ds-onehot");
    let x = Array2::from_shape_fn((N, L), |(i, j)| 0.5 + (i * L + j) as f64);
    let mut seg = Array3::<f32>::zeros((N, L, 6));
    seg.slice_mut(ndarray::s![.., .., 2]).fill(1.0);
    seg.slice_mut(ndarray::s![3, 0, ..]).fill(0.0);
    let mut cls = Array2::<f64>::zeros((N, 18));
    cls[[0, 4]] = 0.25;
    cls[[0, 9]] = 0.75;
    npy::write(&files.x, &x).unwrap();
    npy::write(&files.y_seg, &seg).unwrap();
    npy::write(&files.y_cls, &cls).unwrap();

    let ds = load(&files, 6, 18).unwrap();
    assert_eq!(ds.x[[1, 2]], 10.5);
    let want = array![[2, 2], [-1, 2]];
    let got = ds.seg.take(&[0, 3]).argmax_classes();
    assert_eq!(got.slice(ndarray::s![.., ..2]), want);
    assert_eq!(ds.cls.argmax_classes(), array![9, -1, -1, -1].into_dyn());
    let Labels::Probs(p) = &ds.cls else { panic!() };
    assert_eq!(p[[0, 4]], 0.25);
}

#[test]
fn take_selects_profiles_and_labels() {
    let (_dir, files) = fixture("ds-take");
    let ds = load(&files, 6, 18).unwrap().take(&[3, 1]);
    assert_eq!(ds.x.row(0)[0], 30.0);
    assert_eq!(ds.cls, Labels::Classes(array![-1, 17].into_dyn()));
}

#[test]
fn integer_x_is_a_dtype_error() {
    let (_dir, files) = fixture("ds-xint");
    npy::write(&files.x, &Array2::<i32>::zeros((N, L))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Dtype { .. }));
    has(&msg, &["X.npy", "array X", "int32", "float32 or float64"]);
}

#[test]
fn x_shape_errors() {
    let (_dir, files) = fixture("ds-xshape");
    npy::write(&files.x, &Array3::<f32>::zeros((N, L, 2))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Shape { .. }));
    has(&msg, &["X.npy", "(4, 8, 2)", "(N, L) or (N, L, 1)"]);

    npy::write(&files.x, &Array3::<f32>::zeros((0, L, 1))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Shape { .. }));
    has(&msg, &["(0, 8, 1)", "at least one profile"]);

    npy::write(&files.x, &Array2::<f32>::zeros((N, 0))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Shape { .. }));
    has(&msg, &["(4, 0)", "L >= 1"]);
}

#[test]
fn nan_and_infinite_x_name_the_sample() {
    let (_dir, files) = fixture("ds-nan");
    let mut x = Array2::<f32>::ones((N, L));
    x[[2, 5]] = f32::NAN;
    x[[3, 1]] = f32::NAN;
    npy::write(&files.x, &x).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Value { .. }));
    has(&msg, &["X.npy", "profile 2, sample 5", "NaN"]);

    let mut x = Array2::<f64>::ones((N, L));
    x[[1, 0]] = 1e300;
    npy::write(&files.x, &x).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Value { .. }));
    has(&msg, &["profile 1, sample 0", "inf"]);
}

#[test]
fn y_seg_with_other_n_or_l() {
    let (_dir, files) = fixture("ds-segn");
    npy::write(&files.y_seg, &Array2::<u8>::zeros((N - 1, L))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Shape { .. }));
    has(&msg, &["Y_seg.npy", "array Y_seg", "(3, 8), expected (4, 8)"]);

    npy::write(&files.y_seg, &Array2::<u8>::zeros((N, L + 2))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Shape { .. }));
    has(&msg, &["(4, 10), expected (4, 8)"]);
}

#[test]
fn y_seg_label_out_of_range() {
    let (_dir, files) = fixture("ds-segrange");
    let mut seg = Array2::<i32>::zeros((N, L));
    seg[[1, 3]] = 6;
    seg[[2, 0]] = -2;
    npy::write(&files.y_seg, &seg).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Value { .. }));
    has(&msg, &["Y_seg.npy", "profile 1, sample 3", "label 6", "0..=5"]);

    seg[[1, 3]] = -1;
    npy::write(&files.y_seg, &seg).unwrap();
    let (_, msg) = fails(&files);
    has(&msg, &["profile 2, sample 0", "label -2"]);

    let mut seg = Array2::<u8>::zeros((N, L));
    seg[[0, 7]] = 255;
    npy::write(&files.y_seg, &seg).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Value { .. }));
    has(&msg, &["profile 0, sample 7", "label 255"]);
}

#[test]
fn y_seg_one_hot_with_wrong_class_count() {
    let (_dir, files) = fixture("ds-segk");
    npy::write(&files.y_seg, &Array3::<f32>::zeros((N, L, 5))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Shape { .. }));
    has(&msg, &["Y_seg", "(4, 8, 5), expected (4, 8, 6)"]);
}

#[test]
fn y_seg_rows_that_are_not_distributions() {
    let (_dir, files) = fixture("ds-segp");
    let one_hot = || {
        let mut p = Array3::<f32>::zeros((N, L, 6));
        p.slice_mut(ndarray::s![.., .., 0]).fill(1.0);
        p
    };
    let cases: [(f32, &str); 3] =
        [(f32::NAN, "NaN"), (-0.5, "negative"), (0.9, "sum to")];
    for (v, word) in cases {
        let mut p = one_hot();
        p[[3, 6, 0]] = v;
        npy::write(&files.y_seg, &p).unwrap();
        let (e, msg) = fails(&files);
        assert!(matches!(e, Error::Value { .. }), "{msg}");
        has(&msg, &["Y_seg.npy", "profile 3, sample 6", word]);
    }
}

#[test]
fn integer_one_hot_is_a_dtype_error() {
    let (_dir, files) = fixture("ds-segint3");
    npy::write(&files.y_seg, &Array3::<u8>::zeros((N, L, 6))).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Dtype { .. }));
    has(&msg, &["Y_seg", "uint8", "float32 or float64 for one-hot"]);
}

#[test]
fn float_y_cls_of_shape_n_wants_integers() {
    let (_dir, files) = fixture("ds-clsfloat");
    npy::write(&files.y_cls, &Array1::<f32>::zeros(N)).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Dtype { .. }));
    has(&msg, &["Y_cls.npy", "float32", "integer area labels for shape (4,)"]);
}

#[test]
fn y_cls_with_other_n_or_bad_values() {
    let (_dir, files) = fixture("ds-cls");
    npy::write(&files.y_cls, &Array1::<i64>::zeros(N + 1)).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Shape { .. }));
    has(&msg, &["Y_cls.npy", "(5,), expected (4,)"]);

    npy::write(&files.y_cls, &array![0i64, 1, 2, 18]).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Value { .. }));
    has(&msg, &["Y_cls", "profile 3:", "label 18", "0..=17"]);

    let mut p = Array2::<f32>::zeros((N, 18));
    p[[1, 0]] = 0.5;
    npy::write(&files.y_cls, &p).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Value { .. }));
    has(&msg, &["Y_cls", "profile 1:", "sum to 0.5"]);
}

#[test]
fn zero_classes_and_missing_files() {
    let (_dir, files) = fixture("ds-config");
    let e = load(&files, 0, 18).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");

    std::fs::remove_file(&files.y_cls).unwrap();
    let (e, msg) = fails(&files);
    assert!(matches!(e, Error::Io { .. }));
    has(&msg, &["Y_cls.npy"]);
}

#[test]
fn groups_load_and_check() {
    let dir = TempDir::new("ds-groups");
    let path = dir.join("hemi.npy");
    npy::write(&path, &array![0u8, 1, 1, 0]).unwrap();
    assert_eq!(load_groups(&path, 4).unwrap(), vec![0, 1, 1, 0]);

    let e = load_groups(&path, 5).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }));
    has(&e.to_string(), &["hemi.npy", "array hemi", "(4,), expected (5,)"]);

    npy::write(&path, &array![0.0f32, 1.0, 1.0, 0.0]).unwrap();
    let e = load_groups(&path, 4).unwrap_err();
    assert!(matches!(e, Error::Dtype { .. }));
    has(&e.to_string(), &["hemi.npy", "float32", "integer"]);
}
