using System.Numerics;
using System.Text;
using Gensyn.Contracts;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Nethereum.ABI;
using Nethereum.Signer;
using Nethereum.Util;

namespace Gensyn.Tests.Signing;

public sealed class ClaimSigningTests : IDisposable
{
    // The web3.js documentation's example key and address (web3.eth.accounts.privateKeyToAccount).
    private const string Web3DocsKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    private const string Web3DocsAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

    // Hardhat / anvil default account #0.
    private const string AnvilKey0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    private const string AnvilAddress0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    private static readonly BigInteger N =
        BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "gensyn-signing-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static ShardResultClaim Result() => new(
        "job-42", 3, 7, 2, "worker-a",
        Sha256Digest.Of("end"u8), Sha256Digest.Of("root"u8), [2.5f, 1.25f, 0.5f, float.NaN, -0f]);

    private static OpeningClaim Opening() => new(
        "job-42", 3, 7, 2, "worker-a", 17, Sha256Digest.Of("state-17"u8), Sha256Digest.Of("root"u8));

    private static readonly WorkerKey Alice = WorkerKey.FromPrivateKeyHex(Web3DocsKey);
    private static readonly WorkerKey Bob = WorkerKey.FromPrivateKeyHex(AnvilKey0);

    // ---- known answers ----

    [Theory]
    [InlineData(Web3DocsKey, Web3DocsAddress)]
    [InlineData(AnvilKey0, AnvilAddress0)]
    public void A_fixed_private_key_gives_the_well_known_address(string privateKey, string address)
    {
        var key = WorkerKey.FromPrivateKeyHex(privateKey);
        Assert.Equal(address, key.Address); // exact: EIP-55 checksum casing
        Assert.Equal(address, new EthECKey(privateKey).GetPublicAddress());
        Assert.True(AddressUtil.Current.IsChecksumAddress(key.Address));
        Assert.Equal(privateKey, key.ExportPrivateKeyHex());
        Assert.DoesNotContain(privateKey[2..], key.ToString());
    }

    // ---- EIP-712: what another language's library computes from the same typed data ----

    private static readonly ClaimDomain Devnet = new(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");

    private static string Hex(byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>The eth_signTypedData_v4 JSON of a claim: types, primary type, the domain and the message.</summary>
    private static string TypedDataJson(ClaimDomain domain, string primaryType, string typeString, object message)
    {
        var fields = typeString[(typeString.IndexOf('(') + 1)..^1].Split(',')
            .Select(f => f.Split(' ')).Select(f => new Dictionary<string, string> { ["type"] = f[0], ["name"] = f[1] }).ToList();
        return System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["types"] = new Dictionary<string, object>
            {
                ["EIP712Domain"] = new[]
                {
                    new Dictionary<string, string> { ["name"] = "name", ["type"] = "string" },
                    new Dictionary<string, string> { ["name"] = "version", ["type"] = "string" },
                    new Dictionary<string, string> { ["name"] = "chainId", ["type"] = "uint256" },
                    new Dictionary<string, string> { ["name"] = "verifyingContract", ["type"] = "address" },
                },
                [primaryType] = fields,
            },
            ["primaryType"] = primaryType,
            ["domain"] = new Dictionary<string, object> { ["name"] = "Gensyn", ["version"] = "1", ["chainId"] = domain.ChainId, ["verifyingContract"] = domain.VerifyingContract },
            ["message"] = message,
        });
    }

    private static string ResultJson(ShardResultClaim c) => TypedDataJson(c.SigningDomain, "ShardResult", ShardResultClaim.TypeString, new Dictionary<string, object>
    {
        ["jobId"] = c.JobId, ["round"] = c.Round, ["shard"] = c.Shard, ["epoch"] = c.Epoch, ["workerId"] = c.WorkerId,
        ["endState"] = Hex(c.EndState.ToBytes()), ["merkleRoot"] = Hex(c.MerkleRoot.ToBytes()), ["losses"] = Hex(ClaimDigest.LossesBytes(c.Losses)),
    });

    [Fact]
    public void A_shard_result_digest_and_signature_are_what_an_EIP712_library_computes_from_the_typed_data()
    {
        var claim = Result() with { Network = Devnet };
        var json = ResultJson(claim);
        Assert.Equal(Nethereum.ABI.EIP712.Eip712TypedDataEncoder.Current.EncodeAndHashTypedData(json), claim.ComputeHash());
        var signature = ClaimSigner.Sign(Alice, claim);
        Assert.Equal(Web3DocsAddress, new Nethereum.Signer.EIP712.Eip712TypedDataSigner().RecoverFromSignatureV4(json, signature), ignoreCase: true);
    }

    [Fact]
    public void The_struct_hash_is_keccak_of_abi_encode_of_the_type_hash_and_the_fields()
    {
        var o = Opening();
        var abi = new ABIEncode();
        byte[] K(string text) => Sha3Keccack.Current.CalculateHash(Encoding.UTF8.GetBytes(text));
        var expected = Sha3Keccack.Current.CalculateHash(abi.GetABIEncoded(
            new ABIValue("bytes32", K(OpeningClaim.TypeString)),
            new ABIValue("bytes32", K(o.JobId)),
            new ABIValue("uint32", o.Round),
            new ABIValue("uint32", o.Shard),
            new ABIValue("uint32", o.Epoch),
            new ABIValue("bytes32", K(o.WorkerId)),
            new ABIValue("uint32", o.Step),
            new ABIValue("bytes32", o.State.ToBytes()),
            new ABIValue("bytes32", o.MerkleRoot.ToBytes())));
        Assert.Equal(expected, o.StructHash());
        var separator = Sha3Keccack.Current.CalculateHash(abi.GetABIEncoded(
            new ABIValue("bytes32", K(ClaimDomain.TypeString)), new ABIValue("bytes32", K("Gensyn")), new ABIValue("bytes32", K("1")),
            new ABIValue("uint256", Devnet.ChainId), new ABIValue("address", Devnet.VerifyingContract)));
        Assert.Equal(separator, Devnet.Separator());
        Assert.Equal(Sha3Keccack.Current.CalculateHash([0x19, 0x01, .. separator, .. expected]), (o with { Network = Devnet }).ComputeHash());
    }

    [Fact]
    public void A_capability_and_a_submission_digest_are_what_an_EIP712_library_computes()
    {
        var capability = new CapabilityClaim("worker-1", Alice.Address, "cuda", 24, 8, "cpu-x64-libtorch2.10-t8", 0.9, 812.5, 940.2, 1_765_000_000_000, Devnet);
        static string Bits(double d) => BitConverter.DoubleToUInt64Bits(d).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var json = TypedDataJson(Devnet, "Capability", CapabilityClaim.TypeString, new Dictionary<string, object>
        {
            ["workerId"] = capability.WorkerId, ["worker"] = capability.Address, ["device"] = capability.Device, ["memoryGbF64"] = Bits(capability.MemoryGb),
            ["threads"] = capability.Threads, ["numericClass"] = capability.NumericClass, ["pricePerHourF64"] = Bits(capability.PricePerHour),
            ["throughputF64"] = Bits(capability.Throughput), ["bandwidthMbpsF64"] = Bits(capability.BandwidthMbps), ["issuedAtMs"] = capability.IssuedAtUnixMs,
        });
        Assert.Equal(Nethereum.ABI.EIP712.Eip712TypedDataEncoder.Current.EncodeAndHashTypedData(json), capability.ComputeHash());

        var submission = SubmissionClaim.For(Devnet, "job-0123456789abcdef", "name: x\n");
        var zero = "0x" + new string('0', 64);
        var submissionJson = TypedDataJson(Devnet, "Submission", SubmissionClaim.TypeString, new Dictionary<string, object>
        {
            ["jobId"] = submission.JobId, ["specSha256"] = "0x" + submission.SpecSha256, ["dataSha256"] = zero, ["modelSha256"] = zero,
        });
        Assert.Equal(Nethereum.ABI.EIP712.Eip712TypedDataEncoder.Current.EncodeAndHashTypedData(submissionJson), submission.ComputeHash());
    }

    [Fact]
    public void Signatures_are_deterministic_65_bytes_low_s_and_v_27_or_28()
    {
        var s1 = ClaimSigner.Sign(Alice, Result());
        Assert.Equal(s1, ClaimSigner.Sign(Alice, Result())); // RFC 6979
        Assert.Matches("^0x[0-9a-f]{130}$", s1);
        var bytes = Convert.FromHexString(s1[2..]);
        Assert.Contains(bytes[64], new byte[] { 27, 28 });
        Assert.True(new BigInteger(bytes[32..64], isUnsigned: true, isBigEndian: true) <= N / 2);
    }

    // ---- round trips ----

    [Fact]
    public void A_shard_result_signature_recovers_the_worker_address()
    {
        var key = WorkerKey.Generate();
        var signature = ClaimSigner.Sign(key, Result());
        Assert.Equal(key.Address, ClaimSigner.Recover(Result(), signature));
        Assert.True(ClaimSigner.Verify(Result(), signature, key.Address));
        Assert.True(ClaimSigner.Verify(Result(), signature, key.Address.ToLowerInvariant()));
        Assert.True(ClaimSigner.Verify(Result(), signature.ToUpperInvariant().Replace("0X", "0x"), "0x" + key.Address[2..].ToUpperInvariant()));
        Assert.True(ClaimSigner.Check(Result(), signature, key.Address).Valid);
    }

    [Fact]
    public void An_opening_signature_recovers_the_worker_address()
    {
        var signature = ClaimSigner.Sign(Alice, Opening());
        Assert.Equal(Web3DocsAddress, ClaimSigner.Recover(Opening(), signature));
        Assert.True(ClaimSigner.Verify(Opening(), signature, Web3DocsAddress));
    }

    [Fact]
    public void The_same_claim_on_another_network_has_another_digest_and_its_signature_does_not_carry_over()
    {
        var here = Result() with { Network = Devnet };
        var signature = ClaimSigner.Sign(Alice, here);
        foreach (var elsewhere in new[] { here with { Network = ClaimDomain.None }, here with { Network = Devnet with { ChainId = 1 } },
                                          here with { Network = Devnet with { VerifyingContract = AnvilAddress0 } } })
        {
            Assert.NotEqual(here.ComputeHash(), elsewhere.ComputeHash());
            Assert.False(ClaimSigner.Verify(elsewhere, signature, Alice.Address));
        }
    }

    [Fact]
    public void A_shard_result_claim_mirrors_the_message()
    {
        var c = Result();
        var message = new ShardResult((JobId)c.JobId, c.Round, c.Shard, c.Epoch, (WorkerId)c.WorkerId, c.EndState, c.MerkleRoot, c.Losses, "0x" + new string('a', 130), TrainSeconds: 9.5);
        Assert.Equal(c.ComputeHash(), ShardResultClaim.From(message).ComputeHash());
        Assert.Equal((c with { Network = Devnet }).ComputeHash(), ShardResultClaim.From(message, Devnet).ComputeHash());
    }

    // ---- every field is bound ----

    public static TheoryData<string> ResultFields() =>
        ["JobId", "Round", "Shard", "Epoch", "WorkerId", "EndState", "MerkleRoot", "Losses.value", "Losses.count", "Losses.order", "Losses.negzero"];

    private static ShardResultClaim Change(ShardResultClaim c, string field) => field switch
    {
        "JobId" => c with { JobId = "job-43" },
        "Round" => c with { Round = c.Round + 1 },
        "Shard" => c with { Shard = c.Shard + 1 },
        "Epoch" => c with { Epoch = c.Epoch + 1 },
        "WorkerId" => c with { WorkerId = "worker-b" },
        "EndState" => c with { EndState = Sha256Digest.Of("other end"u8) },
        "MerkleRoot" => c with { MerkleRoot = Sha256Digest.Of("other root"u8) },
        "Losses.value" => c with { Losses = [2.5f, 1.25f, 0.50001f, float.NaN, -0f] },
        "Losses.count" => c with { Losses = [2.5f, 1.25f, 0.5f, float.NaN] },
        "Losses.order" => c with { Losses = [1.25f, 2.5f, 0.5f, float.NaN, -0f] },
        "Losses.negzero" => c with { Losses = [2.5f, 1.25f, 0.5f, float.NaN, 0f] },
        _ => throw new ArgumentException(field),
    };

    [Theory]
    [MemberData(nameof(ResultFields))]
    public void Changing_any_shard_result_field_fails_verification(string field)
    {
        var signature = ClaimSigner.Sign(Alice, Result());
        var changed = Change(Result(), field);
        Assert.NotEqual(Result().ComputeHash(), changed.ComputeHash());
        Assert.False(ClaimSigner.Verify(changed, signature, Alice.Address));
        var check = ClaimSigner.Check(changed, signature, Alice.Address);
        Assert.False(check.Valid);
        Assert.Contains("not by", check.Reason);
    }

    public static TheoryData<string> OpeningFields() =>
        ["JobId", "Round", "Shard", "Epoch", "WorkerId", "Step", "State", "MerkleRoot"];

    [Theory]
    [MemberData(nameof(OpeningFields))]
    public void Changing_any_opening_field_fails_verification(string field)
    {
        var o = Opening();
        var signature = ClaimSigner.Sign(Alice, o);
        var changed = field switch
        {
            "JobId" => o with { JobId = "job-43" },
            "Round" => o with { Round = o.Round + 1 },
            "Shard" => o with { Shard = o.Shard + 1 },
            "Epoch" => o with { Epoch = o.Epoch + 1 },
            "WorkerId" => o with { WorkerId = "worker-b" },
            "Step" => o with { Step = o.Step + 1 },
            "State" => o with { State = Sha256Digest.Of("state-18"u8) },
            "MerkleRoot" => o with { MerkleRoot = Sha256Digest.Of("other root"u8) },
            _ => throw new ArgumentException(field),
        };
        Assert.False(ClaimSigner.Verify(changed, signature, Alice.Address));
    }

    [Fact]
    public void Claims_of_different_kinds_never_share_a_hash()
    {
        var o = Opening();
        var r = Result();
        Assert.NotEqual(o.ComputeHash(), r.ComputeHash());
        Assert.False(ClaimSigner.Verify(r, ClaimSigner.Sign(Alice, o), Alice.Address));
    }

    [Fact]
    public void NaN_losses_hash_the_same_whatever_their_payload()
    {
        var quiet = Result() with { Losses = [float.NaN] };
        var payload = Result() with { Losses = [BitConverter.UInt32BitsToSingle(0x7fc00123)] };
        Assert.Equal(quiet.ComputeHash(), payload.ComputeHash());
    }

    [Fact]
    public void A_signature_by_another_key_fails()
    {
        var signature = ClaimSigner.Sign(Bob, Result());
        Assert.False(ClaimSigner.Verify(Result(), signature, Alice.Address));
        var check = ClaimSigner.Check(Result(), signature, Alice.Address);
        Assert.Equal(AnvilAddress0, check.Signer);
        Assert.Contains(AnvilAddress0, check.Reason);
    }

    // ---- malformed input never throws from Verify/Check/TryRecover ----

    public static TheoryData<string?> MalformedSignatures()
    {
        var good = ClaimSigner.Sign(Alice, Result())[2..];
        var bytes = Convert.FromHexString(good);
        string Hex(byte[] b) => "0x" + Convert.ToHexStringLower(b);
        byte[] With(Action<byte[]> edit) { var b = (byte[])bytes.Clone(); edit(b); return b; }
        var nBytes = N.ToByteArray(isUnsigned: true, isBigEndian: true);
        return new TheoryData<string?>
        {
            null,
            "",
            "0x",
            "0x" + good[..128],                               // 64 bytes
            "0x" + good + "00",                               // 66 bytes
            "0x" + good[..129],                               // odd number of digits
            "0x" + "zz" + good[2..],                          // not hex
            "0x" + new string('g', 130),
            "not a signature at all",
            Hex(With(b => b[64] = 0)),                        // v = 0 (not accepted on chain)
            Hex(With(b => b[64] = 1)),
            Hex(With(b => b[64] = 29)),
            Hex(With(b => b[64] = 255)),
            Hex(With(b => Array.Clear(b, 0, 32))),            // r = 0
            Hex(With(b => Array.Clear(b, 32, 32))),           // s = 0
            Hex(With(b => nBytes.CopyTo(b, 0))),              // r = n
            Hex(With(b => nBytes.CopyTo(b, 32))),             // s = n
            Hex(With(b => Array.Fill(b, (byte)0xff, 0, 32))), // r > n
            Hex(new byte[65]),
        };
    }

    [Theory]
    [MemberData(nameof(MalformedSignatures))]
    public void Malformed_signatures_are_rejected_without_exceptions(string? signature)
    {
        Assert.False(ClaimSigner.Verify(Result(), signature, Alice.Address));
        var check = ClaimSigner.Check(Result(), signature, Alice.Address);
        Assert.False(check.Valid);
        Assert.False(string.IsNullOrWhiteSpace(check.Reason));
        Assert.False(ClaimSigner.TryRecover(Result(), signature, out _, out var reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
        if (signature is not null) Assert.Throws<FormatException>(() => ClaimSigner.Recover(Result(), signature));
    }

    [Fact]
    public void A_malleated_high_s_signature_is_rejected_although_it_recovers_the_same_key()
    {
        var claim = Result();
        var bytes = Convert.FromHexString(ClaimSigner.Sign(Alice, claim)[2..]);
        var s = new BigInteger(bytes[32..64], isUnsigned: true, isBigEndian: true);
        var highS = (N - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        var malleated = (byte[])bytes.Clone();
        Array.Clear(malleated, 32, 32);
        highS.CopyTo(malleated, 64 - highS.Length);
        malleated[64] = (byte)(bytes[64] == 27 ? 28 : 27);
        var hex = "0x" + Convert.ToHexStringLower(malleated);

        // Plain ecrecover accepts it...
        var raw = EthECKey.RecoverFromSignature(
            EthECDSASignatureFactory.FromComponents(malleated[..32], malleated[32..64], malleated[64]),
            ClaimDigest.SigningHash(claim));
        Assert.Equal(Alice.Address, raw.GetPublicAddress());
        // ...but we (like OpenZeppelin's ECDSA) do not.
        Assert.False(ClaimSigner.Verify(claim, hex, Alice.Address));
        Assert.Contains("upper half", ClaimSigner.Check(claim, hex, Alice.Address).Reason);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("0x1234")]
    [InlineData("0x2c7536E3605D9C16a7a3D7b1898e529396a65c2Z")]
    public void A_malformed_expected_address_is_rejected_without_exceptions(string? address)
    {
        var signature = ClaimSigner.Sign(Alice, Result());
        Assert.False(ClaimSigner.Verify(Result(), signature, address));
        Assert.Contains("not an Ethereum address", ClaimSigner.Check(Result(), signature, address).Reason);
    }

    [Fact]
    public void Claims_that_cannot_be_encoded_are_refused_when_signing_and_rejected_when_verifying()
    {
        var signature = ClaimSigner.Sign(Alice, Result());
        var negative = Result() with { Round = -1 };
        var nullId = Result() with { JobId = null! };
        var loneSurrogate = Result() with { WorkerId = "worker-\ud800" };
        Assert.Throws<ArgumentOutOfRangeException>(() => ClaimSigner.Sign(Alice, negative));
        Assert.Throws<ArgumentNullException>(() => ClaimSigner.Sign(Alice, nullId));
        Assert.Throws<ArgumentException>(() => ClaimSigner.Sign(Alice, loneSurrogate));
        foreach (var bad in new[] { negative, nullId, loneSurrogate })
        {
            Assert.False(ClaimSigner.Verify(bad, signature, Alice.Address));
            Assert.Contains("cannot be encoded", ClaimSigner.Check(bad, signature, Alice.Address).Reason);
        }
        Assert.False(ClaimSigner.Verify(null!, signature, Alice.Address));
    }

    // ---- key files ----

    [Fact]
    public void A_key_file_round_trips_and_is_private_to_its_owner()
    {
        var path = Path.Combine(_folder, "nested", "worker.key");
        var key = WorkerKey.Generate();
        key.Save(path);
        var loaded = WorkerKey.Load(path);
        Assert.Equal(key.Address, loaded.Address);
        Assert.Equal(key.ExportPrivateKeyHex(), loaded.ExportPrivateKeyHex());
        Assert.Equal(key.ExportPrivateKeyHex() + "\n", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary left behind

        // A signature made with the loaded key verifies against the original address.
        Assert.True(ClaimSigner.Verify(Result(), ClaimSigner.Sign(loaded, Result()), key.Address));
    }

    [Fact]
    public void Saving_does_not_replace_an_existing_key_unless_asked()
    {
        var path = Path.Combine(_folder, "worker.key");
        Alice.Save(path);
        Assert.Throws<IOException>(() => Bob.Save(path));
        Assert.Equal(Alice.Address, WorkerKey.Load(path).Address);
        Bob.Save(path, overwrite: true);
        Assert.Equal(Bob.Address, WorkerKey.Load(path).Address);
    }

    [Fact]
    public void LoadOrCreate_creates_once_and_then_keeps_the_identity()
    {
        var path = Path.Combine(_folder, "worker.key");
        var first = WorkerKey.LoadOrCreate(path);
        var second = WorkerKey.LoadOrCreate(path);
        Assert.Equal(first.Address, second.Address);
    }

    [Fact]
    public void Key_files_written_by_hand_are_accepted_with_or_without_0x_and_whitespace()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "hand.key");
        File.WriteAllText(path, "  " + Web3DocsKey[2..].ToUpperInvariant() + "\r\n\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(Web3DocsAddress, WorkerKey.Load(path).Address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f3623")]     // 31 bytes
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231800")] // 33 bytes
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231z")]   // not hex
    [InlineData("0x0000000000000000000000000000000000000000000000000000000000000000")]   // zero
    [InlineData("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")]   // = n
    [InlineData("{\"version\":3,\"crypto\":{}}")]                                          // a keystore JSON
    public void A_malformed_key_file_gives_an_error_naming_the_file_but_not_its_contents(string contents)
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "bad.key");
        File.WriteAllText(path, contents);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var error = Assert.Throws<KeyFileException>(() => WorkerKey.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("malformed", error.Message);
        if (contents.Length > 8) Assert.DoesNotContain(contents.Trim(), error.Message);
    }

    [Fact]
    public void A_missing_key_file_is_reported_as_missing()
    {
        Assert.Throws<DirectoryNotFoundException>(() => WorkerKey.Load(Path.Combine(_folder, "none", "worker.key")));
        Directory.CreateDirectory(_folder);
        Assert.Throws<FileNotFoundException>(() => WorkerKey.Load(Path.Combine(_folder, "worker.key")));
    }

    [Fact]
    public void Generated_keys_differ()
    {
        var addresses = Enumerable.Range(0, 16).Select(_ => WorkerKey.Generate().Address).ToHashSet();
        Assert.Equal(16, addresses.Count);
    }

    [Fact]
    public void A_capability_profile_verifies_for_its_key_and_fails_when_any_claim_in_it_changes()
    {
        var profile = new Contracts.Messages.RegisterWorker((WorkerId)"worker-1", Akka.Actor.ActorRefs.Nobody, "cuda", 24, 8, "cpu-x64-libtorch2.10-t8", 0.9,
            Alice.Address, 812.5, 940.2, IssuedAtUnixMs: 1_765_000_000_000);
        var signed = profile with { Signature = ClaimSigner.Sign(Alice, CapabilityClaim.From(profile)) };
        Assert.True(ClaimSigner.Check(CapabilityClaim.From(signed), signed.Signature, Alice.Address).Valid);
        Assert.False(ClaimSigner.Check(CapabilityClaim.From(signed), signed.Signature, Bob.Address).Valid);
        foreach (var forged in new[] { signed with { MemoryGb = 80 }, signed with { Throughput = 8125 }, signed with { BandwidthMbps = 9402 },
                                       signed with { PricePerHour = 0.09 }, signed with { Device = "cpu" }, signed with { WorkerId = (WorkerId)"worker-2" },
                                       signed with { IssuedAtUnixMs = 1_765_000_000_001 }, signed with { Threads = 9 }, signed with { NumericClass = "cpu" } })
            Assert.False(ClaimSigner.Check(CapabilityClaim.From(forged), forged.Signature, Alice.Address).Valid, $"{forged} should not verify");
    }
}
