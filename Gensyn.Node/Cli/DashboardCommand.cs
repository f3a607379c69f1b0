using System.CommandLine;
using System.Diagnostics;
using Gensyn.Contracts.Messages;

namespace Gensyn.Node.Cli;

/// <summary>
/// <c>gensyn dashboard [JOB]</c>: opens the coordinator's dashboard in the browser, signed in as the wallet through a
/// one-time link (the browser never sees the key), on the job's page when JOB is given.
/// </summary>
public static class DashboardCommand
{
    public static Command Create()
    {
        var job = new Argument<string?>("job")
        {
            Description = "Open this job's page (default: your jobs)", Arity = ArgumentArity.ZeroOrOne,
        };
        var coordinator = ClusterCli.CoordinatorOption();
        var key = ClusterCli.WalletOption();
        var json = ClusterCli.JsonOption();
        var noOpen = new Option<bool>("--no-open")
        {
            Description = "Print the sign-in link instead of opening a browser",
        };
        var command = new Command("dashboard",
            "Open the coordinator's web dashboard signed in as your wallet: the network, quotes, settlements, and " +
            "your jobs live (loss chart, shards, verdicts, money). The link works once, within a minute; the session " +
            "lasts an hour")
        {
            job, coordinator, json, key, noOpen,
        };
        command.SetAction(async parse =>
        {
            await using var client = ClusterCli.Connect(parse, coordinator, key);
            var id = parse.GetValue(job);
            var (failure, url, expires, fingerprint) = await client.DashboardSignIn(id);
            if (failure is not null) return ClusterCli.Fail(failure);
            if (parse.GetValue(json))
            {
                Console.WriteLine(ClusterCli.JsonOf(new { url = url!.ToString(), expiresAt = expires, fingerprint }));
                return ExitCodes.Success;
            }
            var opened = !parse.GetValue(noOpen) && Open(url!);
            Console.WriteLine(opened
                ? $"opened {Public(url!)} in your browser, signed in as {client.Address}"
                : $"open this link within a minute to sign in as {client.Address} (it works once):\n  {url}");
            Console.WriteLine("the coordinator's certificate is its own: check that your browser shows SHA-256 " +
                              $"fingerprint {fingerprint}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A sign-in link for <paramref name="client"/>'s wallet (what the command opens).</summary>
    public static async Task<Uri> SignInUrl(CoordinatorClient client, string? jobId, CancellationToken cancel = default)
    {
        var (failure, url, _, _) = await client.DashboardSignIn(jobId).WaitAsync(cancel);
        return url ?? throw new InvalidOperationException(
            (failure as RequestFailed)?.Message ?? failure?.ToString() ?? "no sign-in link");
    }

    /// <summary>The link without its token, to print once it is used.</summary>
    private static string Public(Uri url) => $"{url.Scheme}://{url.Authority}/";

    /// <summary>Opens <paramref name="url"/> with the desktop's browser; false where there is none (no display, no
    /// xdg-open).</summary>
    private static bool Open(Uri url)
    {
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("DISPLAY") is null
                                      && Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is null) return false;
        var opener = OperatingSystem.IsMacOS() ? "open" : OperatingSystem.IsWindows() ? "explorer" : "xdg-open";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(opener, url.ToString()) { UseShellExecute = false });
            return process is not null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }
}
