//! Writing event / ack arguments as the elements of the payload array.
//!
//! The rule (shared with the decoding side in `socketio::event`): a tuple (or tuple
//! struct, or fixed-size array `[T; N]`, which serde treats as a tuple) is spread,
//! one element per argument; `()` means no argument; any other value is one argument. So `&("a", 1)` sends two arguments, `&vec![1, 2]` sends one
//! (an array), and `&(vec![1, 2],)` sends the same one argument explicitly.

use bytes::BufMut;
use serde::Serialize;
use serde::ser;

use super::ser::JsonWriter;
use crate::Error;

/// Writes `args` as comma-separated array elements (no brackets). When
/// `after_first` is true a comma precedes the first argument (the event name was
/// already written).
pub(crate) fn write_args<T: ?Sized + Serialize>(
    w: &mut JsonWriter<'_>,
    args: &T,
    after_first: bool,
) -> Result<(), Error> {
    args.serialize(Args { w, after_first })
}

struct Args<'w, 'a> {
    w: &'w mut JsonWriter<'a>,
    after_first: bool,
}

impl<'w, 'a> Args<'w, 'a> {
    /// A single argument: separator, then the value itself.
    #[inline]
    fn single(self) -> &'w mut JsonWriter<'a> {
        if self.after_first {
            self.w.out.put_u8(b',');
        }
        self.w
    }
}

/// The spread elements of a tuple.
struct Spread<'w, 'a> {
    w: &'w mut JsonWriter<'a>,
    need_comma: bool,
}

impl Spread<'_, '_> {
    #[inline]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        if self.need_comma {
            self.w.out.put_u8(b',');
        }
        self.need_comma = true;
        value.serialize(&mut *self.w)
    }
}

impl ser::SerializeTuple for Spread<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Spread<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

macro_rules! single {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $ty),*) -> Result<(), Error> {
                ser::Serializer::$method(self.single(), $($arg),*)
            }
        )*
    };
}

/// Compound serializers of a single argument are those of the plain writer.
type Compound<'w, 'a> = super::ser::Compound<'w, 'a>;

impl<'w, 'a> ser::Serializer for Args<'w, 'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Spread<'w, 'a>;
    type SerializeTupleStruct = Spread<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    single! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    /// `()` is the empty argument list.
    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self.single())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        // A newtype around a tuple is still "the arguments".
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::Serializer::serialize_newtype_variant(self.single(), name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        ser::Serializer::serialize_seq(self.single(), len)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Spread<'w, 'a>, Error> {
        Ok(Spread {
            need_comma: self.after_first,
            w: self.w,
        })
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Spread<'w, 'a>, Error> {
        Ok(Spread {
            need_comma: self.after_first,
            w: self.w,
        })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        ser::Serializer::serialize_tuple_variant(self.single(), name, index, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        ser::Serializer::serialize_map(self.single(), len)
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'w, 'a>, Error> {
        ser::Serializer::serialize_struct(self.single(), name, len)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        ser::Serializer::serialize_struct_variant(self.single(), name, index, variant, len)
    }
}
