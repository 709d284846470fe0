//! Tests of `.npy` reading and writing: round trips of every written
//! dtype, every integer width, Fortran order, and broken files.

use super::*;
use crate::data::testutil::TempDir;
use ndarray::{Array2, array};
use std::fs;

/// Writes `data` with an explicit dtype and order, as numpy would.
fn write_raw<T: npyz::Serialize + Copy>(
    path: &Path,
    dtype: &str,
    shape: &[u64],
    order: Order,
    data: &[T],
) {
    let ts: TypeStr = dtype.parse().unwrap();
    let mut bytes = vec![];
    let mut w = npyz::WriteOptions::new()
        .dtype(DType::Plain(ts))
        .shape(shape)
        .order(order)
        .writer(&mut bytes)
        .begin_nd()
        .unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn round_trip_each_written_dtype() {
    let dir = TempDir::new("npy-rt");
    let x = array![[1.5f32, -2.0, 3.25], [0.0, 1e-7, 65000.0]];
    write(&dir.join("x.npy"), &x).unwrap();
    let got = read(&dir.join("x.npy"), "x").unwrap();
    assert_eq!(got, NpyArray::F32(x.into_dyn()));

    let u = array![0u8, 5, 255];
    write(&dir.join("u.npy"), &u).unwrap();
    let NpyArray::Int { values, dtype } =
        read(&dir.join("u.npy"), "u").unwrap()
    else {
        panic!("uint8 must read as integers")
    };
    assert_eq!(dtype, "uint8");
    assert_eq!(values, array![0i64, 5, 255].into_dyn());

    let i = ndarray::Array3::from_shape_fn((2, 3, 4), |(a, b, c)| {
        (a * 100 + b * 10 + c) as i32 - 50
    });
    write(&dir.join("i.npy"), &i).unwrap();
    let got = read(&dir.join("i.npy"), "i").unwrap();
    assert_eq!(got.dtype(), "int32");
    let want = i.mapv(i64::from).into_dyn();
    assert_eq!(got, NpyArray::Int { values: want, dtype: "int32".into() });

    let l = array![i64::MIN, -1, i64::MAX];
    write(&dir.join("l.npy"), &l).unwrap();
    let got = read(&dir.join("l.npy"), "l").unwrap();
    let want = NpyArray::Int { values: l.into_dyn(), dtype: "int64".into() };
    assert_eq!(got, want);
}

#[test]
fn reads_every_integer_width_and_f64() {
    let dir = TempDir::new("npy-ints");
    let p = dir.join("a.npy");
    let cases: [(&str, &str); 6] = [
        ("|i1", "int8"),
        ("<i2", "int16"),
        (">i4", "int32"),
        ("<u2", "uint16"),
        (">u4", "uint32"),
        ("<u8", "uint64"),
    ];
    for (descr, name) in cases {
        match &descr[1..] {
            "i1" => write_raw::<i8>(&p, descr, &[3], Order::C, &[-1, 0, 7]),
            "i2" => write_raw::<i16>(&p, descr, &[3], Order::C, &[-1, 0, 7]),
            "i4" => write_raw::<i32>(&p, descr, &[3], Order::C, &[-1, 0, 7]),
            "u2" => write_raw::<u16>(&p, descr, &[3], Order::C, &[1, 0, 7]),
            "u4" => write_raw::<u32>(&p, descr, &[3], Order::C, &[1, 0, 7]),
            _ => write_raw::<u64>(&p, descr, &[3], Order::C, &[1, 0, 7]),
        }
        let got = read(&p, "a").unwrap();
        assert_eq!(got.dtype(), name);
        let NpyArray::Int { values, .. } = got else { panic!() };
        assert_eq!(values[[1]], 0);
        assert_eq!(values[[2]], 7);
    }
    write(&p, &array![0.1f64, -2.5]).unwrap();
    let want = NpyArray::F64(array![0.1f64, -2.5].into_dyn());
    assert_eq!(read(&p, "a").unwrap(), want);
}

#[test]
fn fortran_order_is_transposed_into_place() {
    let dir = TempDir::new("npy-f");
    let p = dir.join("f.npy");
    // Column-major storage of [[1, 2, 3], [4, 5, 6]].
    let data = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0];
    write_raw(&p, "<f4", &[2, 3], Order::Fortran, &data);
    let NpyArray::F32(a) = read(&p, "f").unwrap() else { panic!() };
    let want: Array2<f32> = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    assert_eq!(a, want.into_dyn());
    assert!(a.is_standard_layout());
}

#[test]
fn rejects_garbage_truncation_bool_and_big_u64() {
    let dir = TempDir::new("npy-bad");
    let p = dir.join("bad.npy");
    fs::write(&p, b"hello, not an array").unwrap();
    let e = read(&p, "bad").unwrap_err();
    assert!(matches!(e, Error::NotNpy { .. }), "{e}");
    assert!(e.to_string().contains("bad.npy"), "{e}");

    write(&p, &array![1.0f32, 2.0, 3.0]).unwrap();
    let mut bytes = fs::read(&p).unwrap();
    bytes.truncate(bytes.len() - 2);
    fs::write(&p, bytes).unwrap();
    let e = read(&p, "bad").unwrap_err();
    assert!(matches!(e, Error::NotNpy { .. }), "{e}");
    assert!(e.to_string().contains("ends before"), "{e}");

    write_raw(&p, "|b1", &[2], Order::C, &[true, false]);
    let e = read(&p, "bad").unwrap_err();
    let Error::Dtype { found, .. } = &e else { panic!("{e}") };
    assert_eq!(found, "bool");

    write_raw::<u64>(&p, "<u8", &[2, 2], Order::C, &[0, 1, 2, u64::MAX]);
    let e = read(&p, "bad").unwrap_err();
    let Error::Value { index, .. } = &e else { panic!("{e}") };
    assert_eq!(index, "index [1, 1]");
}

#[test]
fn missing_file_is_io_naming_the_path() {
    let dir = TempDir::new("npy-missing");
    let e = read(&dir.join("nope.npy"), "X").unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("nope.npy"), "{e}");
    let e = write(&dir.join("no/dir/y.npy"), &array![1u8]).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("y.npy"), "{e}");
}

#[test]
fn overwrite_replaces_whole_file_and_leaves_no_temp() {
    let dir = TempDir::new("npy-atomic");
    let p = dir.join("pred.npy");
    write(&p, &ndarray::Array1::<f32>::zeros(1000)).unwrap();
    write(&p, &array![7i64, 8]).unwrap();
    let want = NpyArray::Int {
        values: array![7i64, 8].into_dyn(),
        dtype: "int64".into(),
    };
    assert_eq!(read(&p, "pred").unwrap(), want);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("pred.npy")]);
}
