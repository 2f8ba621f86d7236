//! A serde pass that measures what [`super::ser`] will write, without writing: the
//! encoders use it to size the output buffer once, and to know before writing the
//! header whether (and how many) binary attachments the arguments hold.
//!
//! Exact except for string escapes (each escaped byte adds 1 to 5 bytes), which are
//! rare in practice; an underestimate costs one buffer growth, never correctness.

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::Error;

/// Bytes and binary parts a value serialises to.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Size {
    pub(crate) len: usize,
    pub(crate) binaries: usize,
    /// The shape of the outermost value, which decides how it is written as
    /// event / ack arguments (see [`super::args`]).
    root: Option<Root>,
}

/// The outermost value's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    /// A tuple (or tuple struct / fixed array) of this many elements: spread.
    Tuple(usize),
    /// `()`: no argument.
    Unit,
    /// Anything else: one argument.
    Other,
}

impl Size {
    #[inline]
    fn root(&mut self, root: Root) {
        if self.root.is_none() {
            self.root = Some(root);
        }
    }

    /// Bytes [`super::args::write_args`] writes for these arguments (elements
    /// only, no brackets), with a leading comma when `after_first`.
    pub(crate) fn args_len(&self, after_first: bool) -> usize {
        match self.root.unwrap_or(Root::Other) {
            Root::Unit => 0,
            Root::Tuple(0) => 0,
            // `[a,b]` measured; `a,b` (or `,a,b`) written.
            Root::Tuple(_) => self.len - 2 + usize::from(after_first),
            Root::Other => self.len + usize::from(after_first),
        }
    }
}

/// Measures `value`.
pub(crate) fn measure<T: ?Sized + Serialize>(value: &T) -> Result<Size, Error> {
    let mut size = Size::default();
    value.serialize(&mut size)?;
    Ok(size)
}

/// Bytes of `{"_placeholder":true,"num":N}`.
#[inline]
pub(crate) fn placeholder_len(num: usize) -> usize {
    28 + digits(num as u128)
}

#[inline]
fn digits(mut n: u128) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Formats into a stack buffer to count: floats are rare in chat payloads, and an
/// exact size saves the buffer a second allocation.
fn float_len_f64(v: f64) -> usize {
    use serde_json::ser::Formatter as _;
    if !v.is_finite() {
        return 4;
    }
    let mut buf = std::io::Cursor::new([0u8; 40]);
    let _ = serde_json::ser::CompactFormatter.write_f64(&mut buf, v);
    buf.position() as usize
}

fn float_len_f32(v: f32) -> usize {
    use serde_json::ser::Formatter as _;
    if !v.is_finite() {
        return 4;
    }
    let mut buf = std::io::Cursor::new([0u8; 40]);
    let _ = serde_json::ser::CompactFormatter.write_f32(&mut buf, v);
    buf.position() as usize
}

#[inline]
fn signed(n: i128) -> usize {
    usize::from(n < 0) + digits(n.unsigned_abs())
}

pub(crate) struct Compound<'a> {
    size: &'a mut Size,
    first: bool,
}

impl Compound<'_> {
    #[inline]
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.size.len += 1;
        }
    }
}

macro_rules! fixed {
    ($($method:ident($ty:ty) => $len:expr;)*) => {
        $(
            #[inline]
            fn $method(self, v: $ty) -> Result<(), Error> {
                let f: fn($ty) -> usize = $len;
                self.root(Root::Other);
                self.len += f(v);
                Ok(())
            }
        )*
    };
}

impl<'a> ser::Serializer for &'a mut Size {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fixed! {
        serialize_bool(bool) => |v| if v { 4 } else { 5 };
        serialize_i8(i8) => |v| signed(v.into());
        serialize_i16(i16) => |v| signed(v.into());
        serialize_i32(i32) => |v| signed(v.into());
        serialize_i64(i64) => |v| signed(v.into());
        serialize_i128(i128) => signed;
        serialize_u8(u8) => |v| digits(v.into());
        serialize_u16(u16) => |v| digits(v.into());
        serialize_u32(u32) => |v| digits(v.into());
        serialize_u64(u64) => |v| digits(v.into());
        serialize_u128(u128) => digits;
        serialize_f32(f32) => float_len_f32;
        serialize_f64(f64) => float_len_f64;
        serialize_char(char) => |c| c.len_utf8() + 2;
        serialize_str(&str) => |s| s.len() + 2;
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        self.root(Root::Other);
        self.len += placeholder_len(self.binaries);
        self.binaries += 1;
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.root(Root::Other);
        self.len += 4;
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        // `Some(tuple)` is one argument, not a spread.
        self.root(Root::Other);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.root(Root::Unit);
        self.len += 4;
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.root(Root::Other);
        self.len += 4;
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.root(Root::Other);
        self.len += variant.len() + 2;
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.root(Root::Other);
        self.len += variant.len() + 5;
        value.serialize(self)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.root(Root::Other);
        self.len += 2;
        Ok(Compound {
            size: self,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.root(Root::Tuple(len));
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.root(Root::Tuple(len));
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.root(Root::Other);
        self.len += variant.len() + 7;
        Ok(Compound {
            size: self,
            first: true,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.root(Root::Other);
        self.len += 2;
        Ok(Compound {
            size: self,
            first: true,
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.root(Root::Other);
        self.len += variant.len() + 7;
        Ok(Compound {
            size: self,
            first: true,
        })
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.size)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.size)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.size)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.size)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        // Keys are strings or numbers written as strings; measure them as values
        // plus the quotes a number gains, and the colon.
        key.serialize(KeySize {
            size: &mut *self.size,
        })?;
        self.size.len += 1;
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.size)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.comma();
        self.size.len += key.len() + 3;
        value.serialize(&mut *self.size)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.comma();
        self.size.len += key.len() + 3;
        value.serialize(&mut *self.size)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// Measures a map key. Unsupported key types are reported by the writer itself;
/// here they just count as nothing.
struct KeySize<'a> {
    size: &'a mut Size,
}

macro_rules! key_number {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method(self, v: $ty) -> Result<(), Error> {
                ser::Serializer::$method(&mut *self.size, v)?;
                self.size.len += 2;
                Ok(())
            }
        )*
    };
}

impl ser::Serializer for KeySize<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    key_number! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.size.len += v.len_utf8() + 2;
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.size.len += v.len() + 2;
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.size.len += variant.len() + 2;
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(unsupported_key())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(unsupported_key())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(unsupported_key())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(unsupported_key())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(unsupported_key())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(unsupported_key())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(unsupported_key())
    }
}

fn unsupported_key() -> Error {
    Error::Serialize {
        message: "key must be a string".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn written<T: Serialize>(v: &T) -> usize {
        let mut out = BytesMut::new();
        let mut attachments = Vec::new();
        let mut w = super::super::ser::JsonWriter {
            out: &mut out,
            attachments: &mut attachments,
        };
        super::super::ser::to_writer(&mut w, v).unwrap();
        out.len()
    }

    #[test]
    fn measures_exactly_what_is_written_without_escapes() {
        #[derive(Serialize)]
        enum E {
            A,
            B(u8),
            C(i8, i8),
            D { x: u8 },
        }
        #[derive(Serialize)]
        struct S {
            a: Vec<E>,
            b: std::collections::BTreeMap<u32, String>,
            c: Option<()>,
            d: (char, bool, i128, u64),
            e: &'static str,
        }
        let v = S {
            a: vec![E::A, E::B(200), E::C(-1, 5), E::D { x: 9 }],
            b: [(10, "ten".to_string()), (7, "é".to_string())].into(),
            c: None,
            d: ('€', false, i128::MIN, u64::MAX),
            e: "plain",
        };
        assert_eq!(measure(&v).unwrap().len, written(&v));
        for n in [0i64, 9, 10, -1, -10, i64::MIN, i64::MAX] {
            assert_eq!(measure(&n).unwrap().len, written(&n));
        }
        for f in [
            0.0,
            -0.0,
            1.5e-300,
            -1.0e300,
            f64::MAX,
            0.1,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(measure(&f).unwrap().len, written(&f));
            assert_eq!(measure(&(f as f32)).unwrap().len, written(&(f as f32)));
        }
    }

    fn written_args<T: Serialize>(v: &T, after_first: bool) -> usize {
        let mut out = BytesMut::new();
        let mut attachments = Vec::new();
        let mut w = super::super::ser::JsonWriter {
            out: &mut out,
            attachments: &mut attachments,
        };
        super::super::args::write_args(&mut w, v, after_first).unwrap();
        out.len()
    }

    #[test]
    fn measures_arguments_exactly_as_spread_or_single() {
        #[derive(Serialize)]
        struct Wrapper((u8, u8));
        for after_first in [false, true] {
            let check = |measured: Size, written: usize| {
                assert_eq!(measured.args_len(after_first), written);
            };
            check(measure(&()).unwrap(), written_args(&(), after_first));
            check(measure(&(1,)).unwrap(), written_args(&(1,), after_first));
            check(
                measure(&(1, "ab")).unwrap(),
                written_args(&(1, "ab"), after_first),
            );
            check(
                measure(&[0u8; 0]).unwrap(),
                written_args(&[0u8; 0], after_first),
            );
            check(
                measure(&vec![1, 2]).unwrap(),
                written_args(&vec![1, 2], after_first),
            );
            check(
                measure(&Some((1, 2))).unwrap(),
                written_args(&Some((1, 2)), after_first),
            );
            check(
                measure(&Wrapper((1, 2))).unwrap(),
                written_args(&Wrapper((1, 2)), after_first),
            );
            check(measure(&"x").unwrap(), written_args(&"x", after_first));
        }
    }

    #[test]
    fn counts_binary_parts_and_their_placeholders() {
        struct B;
        impl Serialize for B {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&[1, 2])
            }
        }
        let v: Vec<B> = (0..12).map(|_| B).collect();
        let size = measure(&v).unwrap();
        assert_eq!(size.binaries, 12);
        assert_eq!(size.len, written(&v));
    }
}
