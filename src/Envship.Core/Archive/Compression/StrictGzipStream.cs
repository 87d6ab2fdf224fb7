using System.Runtime.InteropServices;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// Decompresses a gzip stream of one or more members (envship writes one per 4 MiB block) and
/// refuses what GZipStream lets through: input that ends before a member's 8-byte trailer (CRC-32
/// and size), and bytes after the last member that are not another member. zlib checks each
/// member's header, CRC-32 and size itself.
/// </summary>
internal sealed unsafe class StrictGzipStream : Stream
{
    private const int InputBufferSize = 64 << 10;

    private readonly Stream _input;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(InputBufferSize, pinned: true);
    private RuntimeZlib.ZStream* _zstream;
    private int _start;
    private int _end;
    private bool _inputEnded;
    private bool _inMember;
    private long _members;
    private long _memberInputBytes;

    public StrictGzipStream(Stream input)
    {
        _input = input;
        _zstream = (RuntimeZlib.ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(RuntimeZlib.ZStream));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_zstream is null, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_start == _end && !Fill())
            {
                if (_inMember)
                {
                    throw new InvalidDataException($"the gzip stream ends inside member {_members} before its 8-byte trailer (CRC-32 and size): the file is truncated");
                }

                return 0;
            }

            if (!_inMember)
            {
                StartMember();
            }

            var produced = Inflate(buffer);
            if (produced > 0)
            {
                return produced;
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_zstream is not null)
        {
            if (_members > 0)
            {
                _ = RuntimeZlib.InflateEnd(_zstream);
            }

            NativeMemory.Free(_zstream);
            _zstream = null;
        }

        base.Dispose(disposing);
    }

    private void StartMember()
    {
        var code = _members == 0 ? RuntimeZlib.InflateInit(_zstream, RuntimeZlib.GzipWindowBits) : Reset();
        if (code != RuntimeZlib.Ok)
        {
            throw new InvalidOperationException($"zlib could not start inflating (code {code})");
        }

        _members++;
        _memberInputBytes = 0;
        _inMember = true;
    }

    private int Reset()
    {
        _ = RuntimeZlib.InflateEnd(_zstream);
        *_zstream = default;
        return RuntimeZlib.InflateInit(_zstream, RuntimeZlib.GzipWindowBits);
    }

    private int Inflate(Span<byte> output)
    {
        int code;
        uint inputLeft;
        uint outputLeft;
        fixed (byte* input = &_buffer[_start])
        fixed (byte* outputPointer = output)
        {
            _zstream->NextIn = (nint)input;
            _zstream->AvailableIn = (uint)(_end - _start);
            _zstream->NextOut = (nint)outputPointer;
            _zstream->AvailableOut = (uint)output.Length;
            code = RuntimeZlib.Inflate(_zstream, 0);
            inputLeft = _zstream->AvailableIn;
            outputLeft = _zstream->AvailableOut;
        }

        var consumed = _end - _start - (int)inputLeft;
        _start += consumed;
        _memberInputBytes += consumed;
        if (code == RuntimeZlib.StreamEnd)
        {
            _inMember = false;
        }
        else if (code is not (RuntimeZlib.Ok or RuntimeZlib.BufferError))
        {
            var detail = _zstream->Message == 0 ? $"zlib code {code}" : Marshal.PtrToStringUTF8(_zstream->Message);
            throw new InvalidDataException(_members > 1 && _memberInputBytes <= consumed && _memberInputBytes < 10
                ? $"the bytes after gzip member {_members - 1} are not another gzip member ({detail}): trailing garbage"
                : $"gzip member {_members} is damaged ({detail})");
        }

        return output.Length - (int)outputLeft;
    }

    private bool Fill()
    {
        if (_inputEnded)
        {
            return false;
        }

        _start = 0;
        _end = _input.Read(_buffer, 0, _buffer.Length);
        _inputEnded = _end == 0;
        return !_inputEnded;
    }
}
