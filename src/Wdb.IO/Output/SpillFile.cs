using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wdb.IO;

/// <summary>
/// A temporary file of the zone merge: appended to, then read back at any offset. Appends go
/// through <see cref="DirectFile"/> (O_DIRECT) where the file system allows it: spills are
/// written once and read once, and through the page cache they ran at ~330 MB/s on the
/// development VM against ~1.9 GB/s direct (bench/NOTES.md 33). Elsewhere a plain handle.
/// The first read ends the writing. A file written directly can be read directly too
/// (<see cref="ReadDirect"/>): read back through the page cache, the output runs of the 10 M
/// survey took 20 s to merge on that VM, because every page read was first copied into a fresh
/// cache page.
/// </summary>
public sealed class SpillFile : IDisposable
{
    private readonly string _path;
    private DirectFile? _direct;
    private SafeFileHandle? _handle;
    private bool _reading;
    private readonly bool _writtenDirect;
    private SafeFileHandle? _directRead;
    private bool _directReadTried;
    // Set when ending the writes failed: every later reader gets this error (EndWritesOnce).
    private IOException? _endFailed;
    // Readers on several threads (a merge split by key range) may each be the first to read.
    private readonly Lock _gate = new();

    /// <summary>Alignment of direct reads: offsets, lengths and buffer addresses (the direct writer's).</summary>
    public const int Block = DirectFile.Block;

    /// <summary>Creates <paramref name="path"/>, which must not exist.</summary>
    public SpillFile(string path) : this(path, tryDirect: true) { }

    /// <summary>As <see cref="SpillFile(string)"/>; <paramref name="tryDirect"/> false takes the plain path (tests).</summary>
    internal SpillFile(string path, bool tryDirect)
    {
        _path = path;
        _direct = tryDirect ? DirectFile.TryCreate(path) : null;
        _writtenDirect = _direct is not null;
        if (_direct is null) _handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
    }

    /// <summary>
    /// A spill file another process wrote and closed (a cluster task reading the plan's runs, the stitch reading
    /// the tasks' output runs: docs/cluster.md), opened for reads only: directly where the file system allows it,
    /// as a file written here would be read.
    /// </summary>
    public static SpillFile OpenWritten(string path) => new(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));

    private SpillFile(string path, SafeFileHandle readHandle)
    {
        _path = path;
        _handle = readHandle;
        _reading = true;
        _writtenDirect = true;   // a direct read is tried; where the file system refuses it, reads go through the cache
        Length = RandomAccess.GetLength(readHandle);
    }

    public long Length { get; private set; }

    /// <summary>
    /// The error for bytes [<paramref name="from"/>, <paramref name="to"/>) of this file whose checksum, taken as they were
    /// written, no longer matches: a shared work directory's file flipped by the network or the disk, or written over.
    /// </summary>
    public IOException Corrupted(long from, long to) =>
        new($"'{_path}' was corrupted or changed since it was written: its bytes {from}-{to} do not match their checksum");

    /// <summary>Whether the appends bypass the page cache (and reads can too).</summary>
    public bool Direct => _writtenDirect;

    /// <summary>
    /// Starts a run at the file's end: its appends are hashed as they go (XxHash3), and <see cref="RunAppender.End"/>
    /// gives the run's extent with the sum a <see cref="RunReader"/> checks as it reads the run back.
    /// </summary>
    public RunAppender BeginRun() => new(this);

    /// <summary>One run being appended to a spill file (<see cref="BeginRun"/>).</summary>
    public sealed class RunAppender
    {
        private readonly SpillFile _file;
        private readonly long _offset;
        private readonly System.IO.Hashing.XxHash3 _sum = new();

        internal RunAppender(SpillFile file) => (_file, _offset) = (file, file.Length);

        public void Append(ReadOnlySpan<byte> bytes)
        {
            _sum.Append(bytes);
            _file.Append(bytes);
        }

        /// <summary>The run's offset, its length and its bytes' XxHash3.</summary>
        public (long Offset, long Length, ulong Sum) End() => (_offset, _file.Length - _offset, _sum.GetCurrentHashAsUInt64());
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_reading) throw new InvalidOperationException("a spill file is appended to before it is read");
        try
        {
            if (_direct is not null) _direct.Append(bytes);
            else RandomAccess.Write(_handle!, bytes, Length);
        }
        catch (IOException e) { throw Named(e); }
        Length += bytes.Length;
    }

    /// <summary>
    /// A write's I/O error with this file's path in it: a full spill disk shows up while the outputs are
    /// written too (the last runs are flushed then), where the caller's message names the output directory.
    /// </summary>
    private IOException Named(IOException e) => new($"spill file '{_path}': {OutputError.ReasonOf(e, _path)}", e);

    /// <summary>Ends the appends (and frees the direct writer's buffers); reading may begin.</summary>
    public void EndWrites()
    {
        lock (_gate) EndWritesOnce();
    }

    private void EndWritesOnce()
    {
        // A failed end leaves no handle to read with: every reader (several threads may be waiting
        // on the lock) gets its error, not a null handle.
        if (_endFailed is not null) throw new IOException(_endFailed.Message, _endFailed);
        if (_reading) return;
        _reading = true;
        if (_direct is null) return;
        try
        {
            try { _direct.Finish(); }
            catch (IOException e) { throw Named(e); }
            _direct.Dispose();
            _direct = null;
            _handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (IOException e)
        {
            _endFailed = e;
            throw;
        }
    }

    /// <summary>
    /// Ends the appends and flushes the file to the disk: for runs saved for another process (a cluster's task),
    /// whose index, written after, must never name bytes a power loss could take back.
    /// </summary>
    public void EndWritesDurably()
    {
        EndWrites();
        // The reading handle: written through the cache it is the writing one (which Windows needs); written directly,
        // a read-only one, which Linux's fsync takes as well.
        try { RandomAccess.FlushToDisk(_handle!); }
        catch (IOException e) { throw Named(e); }
    }

    /// <summary>A handle for positional reads (<see cref="RandomAccess"/>); appending ends here.</summary>
    public SafeFileHandle ReadHandle
    {
        get
        {
            EndWrites();
            return _handle!;
        }
    }

    /// <summary>Fills <paramref name="into"/> from <paramref name="offset"/>.</summary>
    public void Read(Span<byte> into, long offset)
    {
        var handle = ReadHandle;
        while (into.Length > 0)
        {
            int got = RandomAccess.Read(handle, into, offset);
            if (got == 0) throw new IOException($"spill file '{_path}' ended early");
            into = into[got..];
            offset += got;
        }
    }

    /// <summary>
    /// A buffer for <see cref="ReadDirect"/> of up to <paramref name="bytes"/> at any offset:
    /// pinned, so that an aligned address inside it stays aligned, with a block of slack at each end.
    /// </summary>
    public static byte[] DirectBuffer(int bytes) => GC.AllocateUninitializedArray<byte>(bytes + 3 * Block, pinned: true);

    /// <summary>
    /// Reads bytes [<paramref name="offset"/>, + <paramref name="count"/>) into <paramref name="buffer"/>
    /// (from <see cref="DirectBuffer"/>) bypassing the page cache where the file was written that
    /// way, else through <see cref="ReadHandle"/>; returns where in the buffer they begin.
    /// </summary>
    public unsafe int ReadDirect(byte[] buffer, int count, long offset)
    {
        var direct = DirectReadHandle();
        if (direct is null)
        {
            Read(buffer.AsSpan(0, count), offset);
            return 0;
        }
        long start = offset & ~(long)(Block - 1);
        int skip = (int)(offset - start);
        int total = (skip + count + Block - 1) & ~(Block - 1);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        int aligned = (int)((Block - (address & (Block - 1))) & (Block - 1));
        var into = buffer.AsSpan(aligned, total);
        int got = 0;
        while (got < skip + count)
        {
            // Whole blocks until the file's end, where the last read comes back short.
            int n = RandomAccess.Read(direct, into[got..], start + got);
            if (n <= 0) throw new IOException($"spill file '{_path}' ended early");
            got += n;
        }
        return aligned + skip;
    }

    private SafeFileHandle? DirectReadHandle()
    {
        lock (_gate) return DirectReadHandleOnce();
    }

    private SafeFileHandle? DirectReadHandleOnce()
    {
        EndWritesOnce();
        if (_directReadTried) return _directRead;
        _directReadTried = true;
        if (!_writtenDirect || !OperatingSystem.IsLinux()) return null;
        try
        {
            int fd = Libc.open(_path, Libc.ORdOnly | Libc.OCloexec | Libc.ODirect, 0);
            if (fd >= 0) _directRead = new SafeFileHandle(fd, ownsHandle: true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return _directRead;
    }

    public void Dispose()
    {
        _direct?.Dispose();
        _handle?.Dispose();
        _directRead?.Dispose();
    }
}
