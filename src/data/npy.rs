//! Reading and writing single `.npy` arrays with `npyz`, into and out of
//! `ndarray`.
//!
//! Reading accepts float32, float64 and every integer dtype, in C or
//! Fortran order and either byte order; integers are widened to `i64`
//! so callers check one type. What an array must look like for its role
//! (X, Y_seg, ...) is the loader's business, not this file's. Writing
//! goes through `crate::atomic::write_atomic`, so a reader sees the
//! old file or the whole new one, never half of it.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn, ShapeBuilder};
use npyz::{DType, NpyFile, Order, TypeChar, TypeStr, WriterBuilder};

use crate::atomic::write_atomic;
use crate::data::check::unravel;
use crate::{Error, Result};

/// A numeric array read from a `.npy` file.
#[derive(Clone, Debug, PartialEq)]
pub enum NpyArray {
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    /// Any integer dtype, widened to `i64`; `dtype` is the numpy name of
    /// the dtype in the file, e.g. `"uint8"`.
    Int {
        values: ArrayD<i64>,
        dtype: String,
    },
}

impl NpyArray {
    /// The shape as stored in the file.
    pub fn shape(&self) -> &[usize] {
        match self {
            NpyArray::F32(a) => a.shape(),
            NpyArray::F64(a) => a.shape(),
            NpyArray::Int { values, .. } => values.shape(),
        }
    }

    /// The numpy name of the dtype in the file (`"float32"`, `"int64"`).
    pub fn dtype(&self) -> &str {
        match self {
            NpyArray::F32(_) => "float32",
            NpyArray::F64(_) => "float64",
            NpyArray::Int { dtype, .. } => dtype,
        }
    }
}

/// Reads the numeric array in `path`; `array` names it in errors.
///
/// # Errors
///
/// [`Error::Io`] if the file cannot be opened or read,
/// [`Error::NotNpy`] if it is not a valid `.npy` file or is truncated,
/// [`Error::Dtype`] for a dtype other than float32, float64 or an
/// integer, and [`Error::Value`] for a uint64 value above `i64::MAX`.
pub fn read(path: &Path, array: &str) -> Result<NpyArray> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let npy =
        NpyFile::new(BufReader::new(file)).map_err(|e| NotNpy(e).at(path))?;
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let order = npy.order();

    let dtype = npy.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(bad_dtype(path, array, dtype.descr()));
    };
    let name = dtype_name(ts);
    let flat = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Float, 4) => Flat::F32(values(npy, path)?),
        (TypeChar::Float, 8) => Flat::F64(values(npy, path)?),
        (TypeChar::Int, 1) => Flat::Int(widen::<i8>(npy, path)?),
        (TypeChar::Int, 2) => Flat::Int(widen::<i16>(npy, path)?),
        (TypeChar::Int, 4) => Flat::Int(widen::<i32>(npy, path)?),
        (TypeChar::Int, 8) => Flat::Int(values(npy, path)?),
        (TypeChar::Uint, 1) => Flat::Int(widen::<u8>(npy, path)?),
        (TypeChar::Uint, 2) => Flat::Int(widen::<u16>(npy, path)?),
        (TypeChar::Uint, 4) => Flat::Int(widen::<u32>(npy, path)?),
        (TypeChar::Uint, 8) => {
            let big = values(npy, path)?;
            Flat::Int(narrow_u64(path, array, &shape, big)?)
        }
        _ => return Err(bad_dtype(path, array, name)),
    };

    let out = match flat {
        Flat::F32(v) => NpyArray::F32(build(path, &shape, order, v)?),
        Flat::F64(v) => NpyArray::F64(build(path, &shape, order, v)?),
        Flat::Int(v) => {
            let values = build(path, &shape, order, v)?;
            NpyArray::Int { values, dtype: name }
        }
    };
    log::debug!("{}: {} {:?}", path.display(), out.dtype(), out.shape());
    Ok(out)
}

/// An element type [`write()`] can store: float32/64, uint8, int32/64.
pub trait Element: npyz::AutoSerialize + Copy {}
impl Element for f32 {}
impl Element for f64 {}
impl Element for u8 {}
impl Element for i32 {}
impl Element for i64 {}

/// Writes `array` to `path` in C order, replacing any existing file
/// only once the new one is complete.
///
/// # Errors
///
/// [`Error::Io`] naming `path` if the folder does not exist or a write
/// or the final rename fails; the temporary file is then removed.
pub fn write<T, S, D>(path: &Path, array: &ArrayBase<S, D>) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    let shape: Vec<u64> = array.shape().iter().map(|&d| d as u64).collect();
    write_atomic(path, |out| {
        let mut npy = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&shape)
            .writer(out)
            .begin_nd()?;
        npy.extend(array.iter().copied())?;
        npy.finish()
    })
}

/// The values of a file in storage order, before they take a shape.
enum Flat {
    F32(Vec<f32>),
    F64(Vec<f64>),
    Int(Vec<i64>),
}

/// A header or data problem, before the path is known.
struct NotNpy(io::Error);

impl NotNpy {
    fn at(self, path: &Path) -> Error {
        let reason = match self.0.kind() {
            io::ErrorKind::UnexpectedEof => {
                "the file ends before the data its header announces".into()
            }
            _ => self.0.to_string(),
        };
        Error::NotNpy { path: path.into(), reason }
    }
}

fn values<T: npyz::Deserialize>(
    npy: NpyFile<BufReader<File>>,
    path: &Path,
) -> Result<Vec<T>> {
    npy.into_vec().map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData => {
            NotNpy(e).at(path)
        }
        _ => Error::io(path, e),
    })
}

fn widen<T: npyz::Deserialize + Into<i64>>(
    npy: NpyFile<BufReader<File>>,
    path: &Path,
) -> Result<Vec<i64>> {
    Ok(values::<T>(npy, path)?.into_iter().map(Into::into).collect())
}

/// uint64 to int64, refusing values that do not fit.
fn narrow_u64(
    path: &Path,
    array: &str,
    shape: &[usize],
    big: Vec<u64>,
) -> Result<Vec<i64>> {
    let mut out = Vec::with_capacity(big.len());
    for (flat, v) in big.into_iter().enumerate() {
        let Ok(v) = i64::try_from(v) else {
            return Err(Error::Value {
                path: path.into(),
                array: array.into(),
                index: format!("index {:?}", unravel(flat, shape)),
                problem: format!("value {v} does not fit in int64"),
            });
        };
        out.push(v);
    }
    Ok(out)
}

fn build<T: Clone>(
    path: &Path,
    shape: &[usize],
    order: Order,
    data: Vec<T>,
) -> Result<ArrayD<T>> {
    let dim = IxDyn(shape);
    let made = match order {
        Order::C => ArrayD::from_shape_vec(dim, data),
        Order::Fortran => ArrayD::from_shape_vec(dim.f(), data)
            .map(|a| a.as_standard_layout().into_owned()),
    };
    made.map_err(|e| Error::NotNpy {
        path: path.into(),
        reason: format!("data does not fill shape {shape:?}: {e}"),
    })
}

fn bad_dtype(path: &Path, array: &str, found: String) -> Error {
    Error::Dtype {
        path: path.into(),
        array: array.into(),
        expected: if array == "X" {
            "float32 or float64".into()
        } else {
            "float32, float64 or an integer dtype".into()
        },
        found,
    }
}

/// The numpy name of a scalar dtype, e.g. `float32`, `uint8`, `bool`.
fn dtype_name(ts: &TypeStr) -> String {
    let bits = 8 * ts.size_field();
    match ts.type_char() {
        TypeChar::Float => format!("float{bits}"),
        TypeChar::Int => format!("int{bits}"),
        TypeChar::Uint => format!("uint{bits}"),
        TypeChar::Complex => format!("complex{bits}"),
        TypeChar::Bool => "bool".into(),
        _ => ts.to_string(),
    }
}

#[cfg(test)]
#[path = "npy_tests.rs"]
mod tests;
