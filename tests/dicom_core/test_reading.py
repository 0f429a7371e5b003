import random
import struct
import time
import zlib
from io import BytesIO

import pydicom
import pytest
from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.dataset import FileMetaDataset
from pydicom.tag import Tag
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian

from dicom_core.errors import LimitExceededError, MalformedInputError, NotDicomError
from dicom_core.limits import Limits
from dicom_core.metadata import flat_value, flatten
from dicom_core.reading import (
    COUNT_WINDOW_BYTES,
    PREAMBLE_LENGTH,
    count_structure,
    count_tag,
    is_zip,
    item_tags,
    parse_every_element,
    plain_text,
    read_dataset,
)
from tests.dicom_core.dicom_builders import (
    CORPUS,
    corpus_bytes,
    explicit_le_file,
    many_elements,
    many_items,
    nested_sequences,
    ob_claiming,
    tag,
)

LIMITS = Limits()
CORPUS_DICOM = sorted(path.name for path in CORPUS.glob("*.dcm") if path.name != "no_meta.dcm")


def without_preamble_and_meta(data: bytes) -> bytes:
    """The dataset alone, as DCMTK reads files without file meta (pydicom's force path)."""
    meta_length = struct.unpack("<L", data[PREAMBLE_LENGTH + 12 : PREAMBLE_LENGTH + 16])[0]
    return data[PREAMBLE_LENGTH + 16 + meta_length :]


@pytest.mark.parametrize("name", CORPUS_DICOM)
def test_every_corpus_file_reads_whole(name):
    dataset = read_dataset(corpus_bytes(name), LIMITS)
    assert "SOPClassUID" in dataset
    assert len(dataset) > 10


def test_without_preamble():
    data = corpus_bytes("CT_small.dcm")[PREAMBLE_LENGTH:]  # starts with 'DICM'
    assert read_dataset(data, LIMITS).PatientName == "CompressedSamples^CT1"
    data = corpus_bytes("CT_small.dcm")[PREAMBLE_LENGTH + 4 :]  # starts with the file meta group
    assert read_dataset(data, LIMITS).PatientName == "CompressedSamples^CT1"


@pytest.mark.parametrize("name", ["MR_small_implicit.dcm", "MR_small.dcm", "MR_small_bigendian.dcm"])
def test_without_file_meta_the_encoding_is_guessed(name):
    data = without_preamble_and_meta(corpus_bytes(name))
    dataset = read_dataset(data, LIMITS)
    assert dataset.Rows == 64
    assert not dataset.file_meta


def test_corpus_no_meta_file_is_refused_like_dcmtk_refuses_it():
    # pydicom's no_meta.dcm starts with a stray 0x20 byte: DCMTK and GDCM fail on it too.
    data = corpus_bytes("no_meta.dcm")
    with pytest.raises(NotDicomError):
        read_dataset(data, LIMITS)
    assert read_dataset(data[1:], LIMITS).PatientName == "CompressedSamples^CT1"


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world" * 100, bytes(range(256)) * 40, corpus_bytes("README.md"), corpus_bytes("study_77654033.zip"),
     b"\x89PNG\r\n\x1a\n" + bytes(200), tag(0x0008, 0x0005) + b"xx" + b"\xff" * 100],
)
def test_random_bytes_are_not_dicom(data):
    with pytest.raises(NotDicomError):
        read_dataset(data, LIMITS)


def test_is_zip_by_content():
    assert is_zip(corpus_bytes("study_77654033.zip"))
    assert not is_zip(corpus_bytes("CT_small.dcm"))


def test_nesting_past_the_limit_is_refused():
    assert read_dataset(nested_sequences(LIMITS.max_sequence_depth), LIMITS)
    with pytest.raises(LimitExceededError) as caught:
        read_dataset(nested_sequences(LIMITS.max_sequence_depth + 1), LIMITS)
    assert caught.value.limit == "max_sequence_depth"


@pytest.mark.parametrize("depth", [300, 3000])
def test_recursion_deep_enough_to_break_pydicom_is_a_limit(depth):
    with pytest.raises(LimitExceededError) as caught:
        read_dataset(nested_sequences(depth), LIMITS)
    assert caught.value.limit == "max_sequence_depth"


def test_four_hundred_thousand_items_are_refused_before_parsing():
    data = many_items(400_000)
    started = time.perf_counter()
    with pytest.raises(LimitExceededError) as caught:
        read_dataset(data, LIMITS)
    assert caught.value.limit == "max_sequence_items"
    assert time.perf_counter() - started < 1


def test_items_within_the_limit_are_read():
    assert len(read_dataset(many_items(1000), LIMITS).ContentSequence) == 1000


def test_too_many_elements_are_refused_before_conversion():
    with pytest.raises(LimitExceededError) as caught:
        read_dataset(many_elements(150_000), LIMITS)
    assert caught.value.limit == "max_data_elements"


@pytest.mark.parametrize("convert_only", [None, frozenset().__contains__], ids=["every element", "none asked for"])
def test_an_element_running_past_the_end_of_the_file_is_refused_naming_its_tag(convert_only):
    with pytest.raises(MalformedInputError) as refused:
        read_dataset(ob_claiming(0xFFFFFFF0), LIMITS, convert_only=convert_only)  # and nothing asked for 4 GiB
    assert "(0009,1010)" in refused.value.message and "4294967280" in refused.value.message


@pytest.mark.parametrize("after_magic", [b"", b"\x00" * 8, bytes(range(256)) * 3, b"\x08\x00\x20\x00DA\x08\x0020200101"])
def test_what_follows_dicm_must_parse_as_the_file_meta_group(after_magic):
    with pytest.raises(MalformedInputError) as refused:
        read_dataset(bytes(128) + b"DICM" + after_magic, LIMITS)
    assert "group 0002" in refused.value.message


def test_a_file_meta_element_running_past_the_end_is_refused():
    data = corpus_bytes("CT_small.dcm")
    with pytest.raises(MalformedInputError):
        read_dataset(data[:140], LIMITS)


def test_truncated_pixel_data_still_reads_metadata():
    dataset = read_dataset(corpus_bytes("MR_truncated.dcm"), LIMITS)
    assert dataset.Rows == 64
    assert len(dataset.PixelData) < 64 * 64 * 2


def test_stop_before_pixels_reads_no_pixel_data():
    dataset = read_dataset(corpus_bytes("CT_small.dcm"), LIMITS, stop_before_pixels=True)
    assert "PixelData" not in dataset
    assert dataset.Rows == 128


def test_an_invalid_value_is_kept_as_read():
    data = explicit_le_file(tag(0x0018, 0x0050) + b"DS\x06\x00abcxyz")
    assert read_dataset(data, LIMITS)[0x00180050].value == "abcxyz"


def test_an_unknown_vr_is_malformed_here_not_when_the_element_is_used():
    data = explicit_le_file(tag(0x0018, 0x0050) + b"ZZ\x06\x00abcxyz")
    with pytest.raises(MalformedInputError):
        read_dataset(data, LIMITS)


def _deflated_file(dataset_part: bytes) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    out = BytesIO()
    out.write(bytes(PREAMBLE_LENGTH) + b"DICM")
    write_file_meta_info(out, meta)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return out.getvalue() + compressor.compress(dataset_part) + compressor.flush()


def test_deflated_file_within_the_limit_reads():
    data = _deflated_file(tag(0x0010, 0x0010) + b"PN\x06\x00Def^Ok")
    assert read_dataset(data, LIMITS).PatientName == "Def^Ok"


def test_deflated_corpus_file_reads():
    assert read_dataset(corpus_bytes("image_dfl.dcm"), LIMITS).Rows == 512


def test_deflate_bomb_is_refused_before_pydicom_inflates_it():
    padding = tag(0x0009, 0x0010) + b"LO\x04\x00TEST" + tag(0x0009, 0x1010) + b"OB\0\0" + struct.pack("<L", 50_000_000)
    data = _deflated_file(padding + bytes(50_000_000))
    assert len(data) < 100_000
    with pytest.raises(LimitExceededError) as caught:
        read_dataset(data, Limits(max_inflated_bytes=10_000_000))
    assert caught.value.limit == "max_inflated_bytes"


def test_items_are_counted_in_the_byte_order_pydicom_will_read():
    little, big = b"\xfe\xff\x00\xe0", b"\xff\xfe\xe0\x00"
    assert item_tags(corpus_bytes("MR_small.dcm")) == (little,)
    assert item_tags(corpus_bytes("MR_small_bigendian.dcm")) == (big,)
    no_meta = b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 100"  # a dataset that starts at (0008,0005)
    assert item_tags(no_meta) == (little, big)


def pydicom_converted(data: bytes):
    """The dataset as pydicom converts it itself: every element through Dataset.__getitem__."""
    dataset = pydicom.dcmread(BytesIO(data), force=True)

    def walk(level):
        for element in level:
            if element.VR == "SQ":
                for item in element.value:
                    walk(item)

    walk(dataset)
    return dataset


def assert_same_elements(ours, theirs, path="") -> None:
    assert list(ours.keys()) == list(theirs.keys()), path
    for element, expected in zip(ours.elements(), theirs.elements()):
        where = f"{path}{element.tag}"
        assert type(element) is type(expected), where  # DataElement, converted
        assert (element.VR, element.VM, element.private_creator, element.is_undefined_length) == (
            expected.VR, expected.VM, expected.private_creator, expected.is_undefined_length
        ), where
        if element.VR == "SQ":
            assert len(element.value) == len(expected.value), where
            for number, (item, expected_item) in enumerate(zip(element.value, expected.value)):
                # the pixel representation passed down, which the ambiguous VRs of the item use
                assert getattr(item, "_pixel_rep", None) == getattr(expected_item, "_pixel_rep", None), where
                assert_same_elements(item, expected_item, f"{where}[{number}]")
        else:
            assert type(element.value) is type(expected.value), where
            assert repr(element.value) == repr(expected.value), where


CHARSET_AND_PRIVATE = (
    "ISO_IR 192",
    {"PatientName": "Ünïcode^名前", "StudyDescription": "Étude"},
    # a private block in an implicit-VR file: the creator names the private dictionary entry
    {(0x0029, 0x0010): ("LO", "SIEMENS CSA HEADER"), (0x0029, 0x1008): ("CS", "IMAGE NUM 4")},
)


def charset_private_and_sequence_file(implicit: bool) -> bytes:
    charset, text, private = CHARSET_AND_PRIVATE
    dataset = pydicom.Dataset()
    dataset.SpecificCharacterSet = charset
    for keyword, value in text.items():
        setattr(dataset, keyword, value)
    for (group, element), (vr, value) in private.items():
        dataset.add_new((group, element), vr, value)
    dataset.ReferencedImageSequence = [pydicom.Dataset()]  # a defined length: a raw element until converted
    dataset.ReferencedImageSequence[0].PatientName = "Ïtem"
    dataset.ReferencedImageSequence[0].ReferencedSOPSequence = [pydicom.Dataset(), pydicom.Dataset()]
    dataset.LUTDescriptor = [256, 0, 8]  # 'US or SS': pydicom corrects the VR from the dataset
    dataset.PixelRepresentation = 0
    buffer = BytesIO()
    dataset.save_as(buffer, implicit_vr=implicit, little_endian=True, enforce_file_format=False)
    return buffer.getvalue()


@pytest.mark.parametrize("name", CORPUS_DICOM)
def test_elements_are_converted_as_pydicom_converts_them(name):
    data = corpus_bytes(name)
    assert_same_elements(read_dataset(data, LIMITS), pydicom_converted(data))


@pytest.mark.parametrize("implicit", [True, False])
def test_character_set_and_private_creators_are_those_pydicom_gives(implicit):
    data = charset_private_and_sequence_file(implicit)
    ours = read_dataset(data, LIMITS)
    assert_same_elements(ours, pydicom_converted(data))
    assert str(ours.PatientName) == "Ünïcode^名前" and ours[0x0029, 0x1008].private_creator == "SIEMENS CSA HEADER"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tag", [b"\xfe\xff\x00\xe0", b"\xff\xfe\xe0\x00"])
def test_count_tag_counts_as_bytes_count_at_every_offset_and_window_edge(seed, tag):
    rng = random.Random(seed)
    size = rng.choice([0, 3, 4, 5, COUNT_WINDOW_BYTES - 2, COUNT_WINDOW_BYTES + 1, 2 * COUNT_WINDOW_BYTES + 7])
    data = bytearray(rng.choice(tag) for _ in range(size))  # dense in partial matches
    for position in [0, size - 4, COUNT_WINDOW_BYTES - 4, COUNT_WINDOW_BYTES - 3, COUNT_WINDOW_BYTES - 1, COUNT_WINDOW_BYTES, 7]:
        if 0 <= position <= size - 4:
            data[position : position + 4] = tag
    data = bytes(data)
    assert count_tag(data, tag) == data.count(tag)


def test_count_tag_on_corpus_files():
    for name in ("MR_small.dcm", "JPEG2000.dcm", "rtplan.dcm", "emri_small.dcm"):
        data = corpus_bytes(name)
        for tag in (b"\xfe\xff\x00\xe0", b"\xff\xfe\xe0\x00"):
            assert count_tag(data, tag) == data.count(tag)


# --- parse_structure: read_dataset(convert_only=...) converts what is asked and judges the whole file

NOTHING = frozenset().__contains__  # convert_only that converts no leaf element


STRUCTURE_CASES = [*CORPUS_DICOM, "charset-implicit", "charset-explicit"]


def structure_case(name: str) -> bytes:
    if name.startswith("charset-"):
        return charset_private_and_sequence_file(name == "charset-implicit")
    return corpus_bytes(name)


@pytest.mark.parametrize("name", STRUCTURE_CASES)
def test_the_structure_is_counted_as_converting_every_element_counts_it(name):
    data = structure_case(name)
    everything, structure = (pydicom.dcmread(BytesIO(data), force=True) for _ in range(2))
    assert count_structure(structure, depth=0, limits=LIMITS, counted=0) == parse_every_element(
        everything, depth=0, limits=LIMITS
    )
    assert any(isinstance(element, pydicom.dataelem.RawDataElement) for element in structure._dict.values())


@pytest.mark.parametrize("name", STRUCTURE_CASES)
def test_elements_left_raw_convert_later_as_pydicom_converts_them(name):
    data = structure_case(name)
    ours = read_dataset(data, LIMITS, convert_only=frozenset({0x00100010, 0x00280010}).__contains__)
    assert_same_elements(pydicom_converted_in_place(ours), pydicom_converted(data))


def pydicom_converted_in_place(dataset):
    for element in dataset:  # Dataset.__iter__ converts through __getitem__, as pydicom_converted does
        if element.VR == "SQ":
            for item in element.value:
                pydicom_converted_in_place(item)
    return dataset


def test_only_the_asked_elements_and_the_sequences_are_converted():
    dataset = read_dataset(corpus_bytes("CT_small.dcm"), LIMITS, convert_only=frozenset({0x00100010}).__contains__)
    converted = [tag for tag, element in dataset._dict.items() if not isinstance(element, pydicom.dataelem.RawDataElement)]
    # besides what was asked: the character set (the items' text is decoded with it) and the
    # pixel representation (pydicom passes it down to the items of a sequence it converts)
    assert [tag for tag in converted if dataset[tag].VR != "SQ"] == [0x00080005, 0x00100010, 0x00280103]


@pytest.mark.parametrize("limit, data", [
    ("max_sequence_depth", nested_sequences(LIMITS.max_sequence_depth + 1)),
    ("max_sequence_depth", nested_sequences(3000)),
    ("max_data_elements", many_elements(150_000)),
    ("max_sequence_items", many_items(400_000)),
])
def test_the_limits_hold_for_the_whole_file_when_few_elements_are_asked(limit, data):
    with pytest.raises(LimitExceededError) as caught:
        read_dataset(data, LIMITS, convert_only=NOTHING)
    assert caught.value.limit == limit


def test_a_sequence_nested_within_the_limit_reads_when_few_elements_are_asked():
    assert read_dataset(nested_sequences(LIMITS.max_sequence_depth), LIMITS, convert_only=NOTHING)


def test_a_bad_value_asked_for_is_malformed_and_one_not_asked_for_is_never_decoded():
    data = explicit_le_file(tag(0x0018, 0x0050) + b"ZZ\x06\x00abcxyz")
    with pytest.raises(MalformedInputError):
        read_dataset(data, LIMITS, convert_only=frozenset({0x00180050}).__contains__)
    assert isinstance(read_dataset(data, LIMITS, convert_only=NOTHING)._dict[0x00180050], pydicom.dataelem.RawDataElement)


# --- plain_text: a plain ASCII element's flat string from its bytes, as pydicom's conversion gives it

PLAIN_TEXT_TAGS = {"CS": 0x00080060, "SH": 0x00080050, "LO": 0x00081030, "AS": 0x00101010, "DA": 0x00080020,
                   "TM": 0x00080030, "DT": 0x0008002A, "UI": 0x00080018}
PRINTABLE = [chr(code) for code in range(0x20, 0x7F)]


def plain_values(generator: random.Random) -> list[bytes]:
    """Random values with padding (spaces, NULs) and separators, plus the edge cases."""
    values = [b"", b" ", b"  ", b"\0", b"\0\0", b" \0", b"A\0 ", b"A \0", b" A", b"A\\B", b"\\", b"A\0B ", b"\xe9A ", b"\x1bA "]
    for _ in range(3000):
        core = "".join(generator.choice(PRINTABLE) for _ in range(generator.randint(0, 20)))
        value = " " * generator.choice((0, 0, 1, 2)) + core + " " * generator.choice((0, 0, 1)) + "\0" * generator.choice((0, 0, 0, 1))
        values.append(value.encode() + b" " * (len(value) % 2))
    return values


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom's on the random values that break a VR's rules
@pytest.mark.parametrize("vr", PLAIN_TEXT_TAGS)
def test_plain_text_is_the_flat_string_of_pydicoms_conversion(vr):
    raws = [RawDataElement(Tag(PLAIN_TEXT_TAGS[vr]), vr, len(value), value, 0, False, True) for value in plain_values(random.Random(14))]
    assert plain_texts_compared(raws) > 2500  # most values are plain: the comparison is not vacuous


def plain_texts_compared(raws: list[RawDataElement]) -> int:
    """How many of the elements plain_text reads; each string read equals pydicom's conversion's."""
    taken = 0
    for raw in raws:
        text = plain_text(raw, ["iso8859"])
        if text is not None:
            taken += 1
            assert text == flat_value(convert_raw_data_element(raw, encoding=["iso8859"], ds=pydicom.Dataset())), raw.value
    return taken


def number_values(generator: random.Random) -> list[bytes]:
    values = [b"0 ", b" 0", b"-0", b"+1", b"00012 ", b"1.", b".5", b"1e5 ", b"1.5\\2 ", b"1.50\0", b"9" * 12, b"9" * 16, b"9" * 18, b" ", b""]
    for _ in range(5000):
        core = generator.choice([
            str(generator.randint(-(10**11), 10**12)), f"{generator.uniform(-1000, 1000):.{generator.randint(0, 8)}f}",
            "+" + str(generator.randint(0, 99)), "0" * generator.randint(1, 3) + str(generator.randint(0, 999)),
            f"{generator.uniform(-1, 1):.{generator.randint(1, 14)}f}",
        ])
        if generator.random() < 0.3:  # several values, some with inner spaces
            core = "\\".join([core, *(generator.choice(("", " ")) + str(generator.randint(-99, 999)) for _ in range(generator.randint(1, 3)))])
        value = " " * generator.choice((0, 0, 1, 2)) + core + " " * generator.choice((0, 0, 1, 2))
        values.append(value.encode() + b" " * (len(value) % 2))
    return values


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("vr, tag", [("DS", 0x00180050), ("IS", 0x00200013)])
def test_a_plain_number_is_the_flat_string_of_pydicoms_conversion(vr, tag):
    raws = [RawDataElement(Tag(tag), vr, len(value), value, 0, False, True) for value in number_values(random.Random(14))]
    assert plain_texts_compared(raws) > 2000


@pytest.mark.parametrize("vr", ["US", "SS", "UL", "SL", "UV", "SV", "FL", "FD"])
@pytest.mark.parametrize("little_endian", [True, False])
def test_a_binary_number_is_the_flat_string_of_pydicoms_conversion(vr, little_endian):
    generator = random.Random(14)
    values = [generator.randbytes(generator.choice((0, 1, 2, 3, 4, 6, 8, 12, 16, 24))) for _ in range(2000)]
    raws = [RawDataElement(Tag(tag), vr, len(value), value, 0, False, little_endian) for value in values for tag in (0x00091010, 0x00281101)]
    assert plain_texts_compared(raws) > 500


def test_plain_text_leaves_private_values_text_in_other_character_sets_and_other_vrs():
    def raw(tag: int, vr: str, value: bytes = b"ABC ") -> RawDataElement:
        return RawDataElement(Tag(tag), vr, len(value), value, 0, False, True)

    assert plain_text(raw(0x00080060, "CS"), ["iso8859"]) == "ABC"
    assert plain_text(raw(0x00091010, "LO"), ["iso8859"]) == "ABC"  # private: the file's VR
    assert plain_text(raw(0x00280010, "US", b"\x00\x02\x01\x00"), ["iso8859"]) == "[512, 1]"
    assert plain_text(raw(0x00281101, "US", b"\x00\x02\x01\x00\x10\x00"), ["iso8859"]) is None  # a LUT Descriptor
    assert plain_text(raw(0x00280010, "OW", b"\x00\x02"), ["iso8859"]) is None
    assert plain_text(raw(0x00080050, "SH"), ["iso2022_jp"]) is None  # text decoded with another character set
    assert plain_text(raw(0x00080060, "CS"), ["iso2022_jp"]) == "ABC"  # CS is always ASCII
    assert plain_text(raw(0x00180050, "DS", b"1.5 "), ["iso8859"]) == "1.5"
    assert plain_text(raw(0x00180050, "DS", b"1e5 "), ["iso8859"]) is None  # pydicom's formatting of the rest
    assert plain_text(raw(0x00280010, "US", b"\x00\x02"), ["iso8859"]) == "512"
    assert plain_text(raw(0x00080060, "CS", b"A\\B "), ["iso8859"]) is None  # several values of text
    assert plain_text(raw(0x00280030, "DS", b"0.5\\0.25 "), ["iso8859"]) == "[0.5, 0.25]"


def test_an_all_metadata_read_leaves_the_plain_text_elements_raw_and_flattens_them_as_converted():
    data = (CORPUS / "CT_small.dcm").read_bytes()
    fast = read_dataset(data, Limits(), leave_plain_text=True)
    raw = [element for element in fast.elements() if isinstance(element, RawDataElement)]
    assert len(raw) > 200
    assert flatten(fast) == flatten(read_dataset(data, Limits()))
    assert fast.Modality == "CT"  # read from the dataset, pydicom converts it
