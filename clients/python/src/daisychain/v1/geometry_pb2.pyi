from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Coordinate(_message.Message):
    __slots__ = ("values", "null_dims")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    NULL_DIMS_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[int]
    null_dims: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, values: _Optional[_Iterable[int]] = ..., null_dims: _Optional[_Iterable[int]] = ...) -> None: ...

class Roi(_message.Message):
    __slots__ = ("offset", "shape")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    offset: Coordinate
    shape: Coordinate
    def __init__(self, offset: _Optional[_Union[Coordinate, _Mapping]] = ..., shape: _Optional[_Union[Coordinate, _Mapping]] = ...) -> None: ...
