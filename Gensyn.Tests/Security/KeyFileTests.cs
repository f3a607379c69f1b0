using Gensyn.Contracts.Signing;
using Gensyn.Tests.Cli;

namespace Gensyn.Tests.Security;

/// <summary>
/// Key files (the review's "Key files" finding): a key file that its group or others may read is refused on load with one line, as
/// ssh refuses it, whoever loads it (the wallet, a worker's key, the settlement key); and a wallet may be encrypted with a passphrase.
/// </summary>
public sealed class KeyFileTests : IDisposable
{
    private const string KeyHex = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    private const string Address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string KeyFile(string name, UnixFileMode mode)
    {
        var path = _dir.File(name);
        WorkerKey.FromPrivateKeyHex(KeyHex).Save(path);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
        return path;
    }

    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Theory]
    [InlineData("0644", Owner | UnixFileMode.GroupRead | UnixFileMode.OtherRead)]
    [InlineData("0640", Owner | UnixFileMode.GroupRead)]
    [InlineData("0604", Owner | UnixFileMode.OtherRead)]
    [InlineData("0620", Owner | UnixFileMode.GroupWrite)]
    [InlineData("0666", Owner | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)]
    public void A_key_file_that_others_may_read_is_refused_with_the_ssh_line(string octal, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) return;
        var path = KeyFile("worker.key", mode);
        var error = Assert.Throws<KeyFileException>(() => WorkerKey.Load(path));
        Assert.Contains($"permissions {octal}, which are too open; run chmod 600 {path}", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        // LoadOrCreate, which workers use, refuses it too rather than replacing the identity.
        Assert.Throws<KeyFileException>(() => WorkerKey.LoadOrCreate(path));
        Assert.Equal(mode, File.GetUnixFileMode(path)); // left as it was: fixing it is the owner's call
    }

    [Theory]
    [InlineData(Owner)]
    [InlineData(UnixFileMode.UserRead)]
    public void A_key_file_only_its_owner_may_read_is_accepted(UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(Address, WorkerKey.Load(KeyFile("wallet.key", mode)).Address);
    }

    [Fact]
    public void An_encrypted_wallet_opens_with_its_passphrase_and_a_wrong_one_gets_one_line()
    {
        var path = _dir.File("wallet.key");
        WorkerKey.FromPrivateKeyHex(KeyHex).SaveEncrypted(path, "correct horse");
        Assert.True(WorkerKey.IsEncrypted(path));
        Assert.DoesNotContain(KeyHex[2..], File.ReadAllText(path));
        if (!OperatingSystem.IsWindows()) Assert.Equal(Owner, File.GetUnixFileMode(path));

        Assert.Equal(Address, WorkerKey.Load(path, _ => "correct horse").Address);
        var wrong = Assert.Throws<KeyFileException>(() => WorkerKey.Load(path, _ => "battery staple"));
        Assert.Contains("wrong passphrase", wrong.Message);
        Assert.DoesNotContain('\n', wrong.Message);
    }

    [Fact]
    public void A_malformed_or_foreign_json_key_file_is_called_malformed_without_asking_for_a_passphrase()
    {
        var path = _dir.File("wallet.key");
        File.WriteAllText(path, "{\"version\":3,\"crypto\":{}}");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, Owner);
        var error = Assert.Throws<KeyFileException>(() => WorkerKey.Load(path, _ => throw new InvalidOperationException("asked for a passphrase")));
        Assert.Contains("malformed", error.Message);
    }

    private static readonly Dictionary<string, string> NoPassphrase = new() { [WorkerKey.PassphraseVariable] = "" };

    [Fact]
    public void The_cli_refuses_an_open_wallet_with_exit_2_and_one_line()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = KeyFile("wallet.key", Owner | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var result = GensynProcess.RunWith(NoPassphrase, _dir.Path, "wallet", "show");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains($"permissions 0644, which are too open; run chmod 600 {path}", line);
    }

    [Fact]
    public void The_cli_creates_an_encrypted_wallet_opens_it_with_the_passphrase_variable_and_refuses_a_wrong_one()
    {
        var created = GensynProcess.RunWith(new Dictionary<string, string> { [WorkerKey.PassphraseVariable] = "s3cret" }, _dir.Path, "wallet", "new", "--encrypt");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var address = created.Stdout.Trim();
        Assert.True(WorkerKey.IsEncrypted(_dir.File("wallet.key")));

        var shown = GensynProcess.RunWith(new Dictionary<string, string> { [WorkerKey.PassphraseVariable] = "s3cret" }, _dir.Path, "wallet", "show");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains(address, shown.Stdout);

        var wrong = GensynProcess.RunWith(new Dictionary<string, string> { [WorkerKey.PassphraseVariable] = "guess" }, _dir.Path, "wallet", "show");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("wrong passphrase", Assert.Single(wrong.Stderr.Trim().Split('\n')));

        var none = GensynProcess.RunWith(NoPassphrase, _dir.Path, "wallet", "show");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains(WorkerKey.PassphraseVariable, Assert.Single(none.Stderr.Trim().Split('\n')));
    }

    [Fact]
    public void The_cli_encrypts_an_existing_wallet_in_place_keeping_its_address()
    {
        KeyFile("wallet.key", Owner);
        var env = new Dictionary<string, string> { [WorkerKey.PassphraseVariable] = "s3cret" };
        var encrypted = GensynProcess.RunWith(env, _dir.Path, "wallet", "encrypt");
        Assert.True(encrypted.ExitCode == 0, encrypted.Stderr);
        Assert.Equal(Address, encrypted.Stdout.Trim());
        Assert.Equal(Address, WorkerKey.Load(_dir.File("wallet.key"), _ => "s3cret").Address);
    }

    [Fact]
    public void A_coordinator_refuses_an_open_settlement_key_at_start()
    {
        if (OperatingSystem.IsWindows()) return;
        var key = KeyFile("settlement.key", Owner | UnixFileMode.GroupRead);
        var contracts = _dir.File("contracts.json");
        new Contracts.Chain.ChainSettings("unused", 31337, Contracts.Chain.DevChain.DevAddress(2), Contracts.Chain.DevChain.DevAddress(3),
            Contracts.Chain.DevChain.DevAddress(4), IsDevnet: false).SaveContracts(contracts);
        var result = GensynProcess.RunWith(NoPassphrase, _dir.Path, "node", "--port", "0", "--chain-rpc", "http://127.0.0.1:1", "--contracts", contracts,
            "--settlement-key", key);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"run chmod 600 {key}", result.Stderr);
    }
}
