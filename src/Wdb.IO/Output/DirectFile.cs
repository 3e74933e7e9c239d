using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wdb.IO;

/// <summary>
/// A new file written with O_DIRECT (Linux): appended bytes gather in one page-aligned buffer
/// that goes to the disk in whole 4 KiB blocks; at the end the last block is written
/// zero-padded and the file is cut back to its length, so the bytes are exactly those
/// appended. Tables of gigabytes written through the page cache first need that many new
/// cache pages: on the development VM that ran at 250-500 MB/s against 2.3 GB/s direct
/// (bench/NOTES.md 26), and on any machine it evicts the input a remerge reads next.
/// <see cref="TryCreate"/> returns null where O_DIRECT is not available (tmpfs, other
/// systems, other architectures); the caller then uses a FileStream. Two buffers take turns:
/// one goes to the disk on a worker while the other fills (bench/NOTES.md 32).
/// </summary>
internal sealed unsafe class DirectFile : IDisposable
{
    /// <summary>Alignment of direct I/O: offsets, lengths and buffer addresses (4 KiB blocks; larger sectors are refused by the probe).</summary>
    internal const int Block = 4096;
    /// <summary>Bytes per write: large enough to stream at the disk's rate.</summary>
    public const int BufferBytes = 4 << 20;

    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private byte* _buffer;      // the one being filled
    private byte* _other;       // the one being written, or free
    private Task _writing = Task.CompletedTask;
    private int _fill;
    private long _written;      // bytes handed to writes so far (in flight or done)

    private DirectFile(SafeFileHandle handle, string path)
    {
        _handle = handle;
        _path = path;
        _buffer = (byte*)NativeMemory.AlignedAlloc(BufferBytes, Block);
        _other = (byte*)NativeMemory.AlignedAlloc(BufferBytes, Block);
    }

    /// <summary>Creates <paramref name="path"/> (it must not exist) for direct writes; null when they are not supported there.</summary>
    public static DirectFile? TryCreate(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        int direct = Libc.ODirect;
        if (direct == 0) return null;
        int fd;
        try
        {
            fd = Libc.open(path, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.OCloexec | direct, 0x1A4 /* 0644 */);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if (fd < 0)
        {
            // EINVAL: the file system refuses O_DIRECT, possibly after creating the file. Any other
            // error (no such directory, no permission) the FileStream meets again and reports.
            if (Marshal.GetLastPInvokeError() == Libc.EInval) File.Delete(path);
            return null;
        }
        var file = new DirectFile(new SafeFileHandle(fd, ownsHandle: true), path);
        try
        {
            file.Probe();
            return file;
        }
        catch (IOException)
        {
            // Opened, but a 4 KiB block is not what it writes (larger sectors, odd file systems):
            // the FileStream writes this file instead, and reports any error that is not ours.
            file.Dispose();
            File.Delete(path);
            return null;
        }
    }

    /// <summary>Writes one zero block and empties the file again: the writes to come will work the same way.</summary>
    private void Probe()
    {
        new Span<byte>(_buffer, Block).Clear();
        RandomAccess.Write(_handle, new ReadOnlySpan<byte>(_buffer, Block), 0);
        if (Truncate(0) != 0) throw Failure("empty");
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int n = Math.Min(bytes.Length, BufferBytes - _fill);
            bytes[..n].CopyTo(new Span<byte>(_buffer + _fill, n));
            _fill += n;
            bytes = bytes[n..];
            if (_fill == BufferBytes) WriteFullBuffer();
        }
    }

    /// <summary>Sends the full buffer to the disk on a worker and goes on filling the other one.</summary>
    private void WriteFullBuffer()
    {
        _writing.GetAwaiter().GetResult();   // the other buffer is free again (or its write failed)
        nint full = (nint)_buffer;
        long at = _written;
        _writing = Task.Run(() => RandomAccess.Write(_handle, new ReadOnlySpan<byte>((byte*)full, BufferBytes), at));
        _written += BufferBytes;
        _buffer = _other;
        _other = (byte*)full;
        _fill = 0;
    }

    /// <summary>Writes what is buffered and sets the file's length; returns it. The data is not yet fsynced.</summary>
    public long Finish()
    {
        _writing.GetAwaiter().GetResult();
        long length = _written + _fill;
        if (_fill > 0)
        {
            int padded = (_fill + Block - 1) & ~(Block - 1);
            new Span<byte>(_buffer + _fill, padded - _fill).Clear();
            WriteBuffer(padded);
        }
        if (Truncate(length) != 0) throw Failure("set the length of");
        return length;
    }

    public void FlushToDisk()
    {
        if (!OperatingSystem.IsLinux() || Libc.fsync(Fd) != 0) throw Failure("fsync");
    }

    /// <summary>ftruncate(2); a DirectFile is made on Linux alone (<see cref="TryCreate"/>), where the check costs nothing.</summary>
    private int Truncate(long length) => OperatingSystem.IsLinux() ? Libc.ftruncate(Fd, length) : -1;

    private void WriteBuffer(int bytes)
    {
        RandomAccess.Write(_handle, new ReadOnlySpan<byte>(_buffer, bytes), _written);
        _written += bytes;
        _fill = 0;
    }

    private int Fd => _handle.DangerousGetHandle().ToInt32();

    private IOException Failure(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"cannot {what} '{_path}': {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    public void Dispose()
    {
        // A write still in flight reads a buffer: it must end before the buffers are freed.
        try { _writing.Wait(); } catch (AggregateException) { }
        _handle.Dispose();
        if (_buffer != null)
        {
            NativeMemory.AlignedFree(_buffer);
            NativeMemory.AlignedFree(_other);
            _buffer = _other = null;
        }
    }
}
