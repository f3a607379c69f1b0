using System.Globalization;
using Spectre.Console;

namespace Gensyn.Node.Cli;

/// <summary>
/// What a dataset's packing and upload show on stderr: a progress bar (bytes, blobs, speed) at a terminal, one line
/// each otherwise, nothing with --json.
/// </summary>
public sealed class UploadProgress
{
    private readonly ProgressTask? _bar;
    private readonly int _blobs;
    private int _done;

    private UploadProgress(ProgressTask? bar, int blobs)
    {
        _bar = bar;
        _blobs = blobs;
    }

    private static bool Interactive(bool quiet) =>
        !quiet && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private static IAnsiConsole Stderr() =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Runs <paramref name="pack"/>, saying what it made.</summary>
    public static Training.Data.Packed.PackedResult Packing(bool quiet, Func<Training.Data.Packed.PackedResult> pack)
    {
        var packed = Interactive(quiet)
            ? Stderr().Status().Start("packing the dataset", _ => pack())
            : pack();
        if (!quiet)
            Console.Error.WriteLine($"packed the dataset: {packed.Manifest.AllChunks.Count():N0} chunks, " +
                                    $"{Size(packed.ChunkBytes)}, manifest sha256:{packed.Digest}");
        return packed;
    }

    /// <summary>Runs <paramref name="upload"/> with a progress bar over <paramref name="bytes"/> bytes in
    /// <paramref name="blobs"/> blobs, then says what was sent.</summary>
    public static async Task Show(bool quiet, long bytes, int blobs, Func<UploadProgress, Task> upload)
    {
        UploadProgress progress = null!;
        if (Interactive(quiet))
        {
            await Stderr().Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(),
                         new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    progress = new UploadProgress(context.AddTask("uploading", maxValue: Math.Max(1, bytes)), blobs);
                    await upload(progress);
                });
        }
        else
        {
            progress = new UploadProgress(null, blobs);
            await upload(progress);
        }
        if (!quiet)
            Console.Error.WriteLine($"uploaded {progress._sentBlobs:N0} of {blobs:N0} blobs " +
                                    $"({Size(progress._sentBytes)}); the coordinator held the rest");
    }

    private long _sentBytes;
    private int _sentBlobs;

    /// <summary>What the coordinator already held.</summary>
    public void Held(long bytes, int blobs)
    {
        _done = blobs;
        _bar?.Increment(bytes);
        Describe();
    }

    /// <summary><paramref name="bytes"/> more were sent.</summary>
    public void Sent(long bytes)
    {
        Interlocked.Add(ref _sentBytes, bytes);
        _bar?.Increment(bytes);
    }

    /// <summary>One more blob is stored on the coordinator.</summary>
    public void Done()
    {
        Interlocked.Increment(ref _done);
        Interlocked.Increment(ref _sentBlobs);
        Describe();
    }

    private void Describe()
    {
        if (_bar is not null)
            _bar.Description = $"uploading the dataset: {Volatile.Read(ref _done):N0}/{_blobs:N0} chunks";
    }

    private static string Size(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.#} MB");
}
