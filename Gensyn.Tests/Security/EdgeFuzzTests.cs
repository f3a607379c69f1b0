using System.Diagnostics;
using Gensyn.Contracts.Signing;
using Gensyn.Tests.Security.Fuzzing;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Xunit.Abstractions;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Tests.Security;

/// <summary>
/// A seeded, time-bounded fuzzer against every method of a live edge (<see cref="EdgeFixture"/>). Each input is a well-formed message with
/// hostile field values (signed by a real key half of the time, so it reaches the handler), or the bytes of one mutated into malformed
/// protobuf. Every call must end within its deadline with one of the status codes docs/edge-protocol.md documents for refusals, and the
/// edge must still serve its honest worker and the payer's job afterwards.
/// </summary>
[Collection("cluster")]
public sealed class EdgeFuzzTests(EdgeFixture edge, ITestOutputHelper output) : IClassFixture<EdgeFixture>
{
    private static TimeSpan Budget => TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("GENSYN_FUZZ_SECONDS"), out var s) ? s : 30);

    /// <summary>A call that has not ended by then counts as a hang.</summary>
    private static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(20);

    /// <summary>The codes the edge answers bad input with (docs/edge-protocol.md, "Errors").</summary>
    private static readonly HashSet<StatusCode> Documented =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.Unauthenticated, StatusCode.PermissionDenied, StatusCode.NotFound,
        StatusCode.ResourceExhausted, StatusCode.FailedPrecondition, StatusCode.OutOfRange,
    ];

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    private static IEnumerable<MethodDescriptor> Methods() =>
        V1.RequesterEdge.Descriptor.Methods.Concat(V1.WorkerEdge.Descriptor.Methods);

    [Fact]
    public async Task Random_and_malformed_messages_to_every_edge_method_get_a_documented_status_and_never_crash_or_hang_the_edge()
    {
        var methods = Methods().ToList();
        var mutator = new Mutator(seed: 16);
        var messages = new RandomMessages(mutator.Random);
        var specs = SpecFuzzTests.Corpus();
        var key = WorkerKey.Generate();
        var (session, token) = await edge.Welcomed(key, "fuzz-worker");
        await using var _ = session;
        var invoker = edge.Channel.CreateCallInvoker();
        var tried = new Dictionary<string, int>();
        var codes = new Dictionary<StatusCode, int>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Budget)
        {
            var method = methods[mutator.Random.Next(methods.Count)];
            var message = messages.Next(method.InputType);
            // Half of the specs sent to Quote and Submit are mutated real specs (deep nesting, aliases, hostile numbers and paths).
            if (method.InputType.FindFieldByName("spec_yaml") is { } spec && mutator.Random.Next(2) == 0)
                spec.Accessor.SetValue(message, mutator.MutateText(specs[mutator.Random.Next(specs.Count)]));
            var malformed = mutator.Random.Next(3) == 0;
            var bytes = malformed ? mutator.MutateBytes(message.ToByteArray()) : message.ToByteArray();
            var headers = Headers(method, message, key, token, mutator.Random);
            // Half of the sessions first say a valid hello, so that what follows reaches a live session, as from a welcomed worker.
            var call = method.Name == "Session" && mutator.Random.Next(2) == 0
                ? AfterHello(invoker, method, bytes, mutator.Random)
                : Call(invoker, method, bytes, headers, mutator.Random);
            var finished = await Task.WhenAny(call, Task.Delay(HangAfter));
            Assert.True(finished == call, $"{method.FullName} did not answer within {HangAfter.TotalSeconds} s ({(malformed ? "malformed" : "random")} input of {bytes.Length} bytes)");
            var status = await call;
            Assert.True(Documented.Contains(status.StatusCode),
                $"{method.FullName} answered an {(malformed ? "malformed" : "random")} input with {status.StatusCode} ({status.Detail}), which is not a documented refusal");
            Assert.False(status.StatusCode != StatusCode.OK && string.IsNullOrWhiteSpace(status.Detail), $"{method.FullName} refused with {status.StatusCode} but said nothing");
            tried[method.FullName] = tried.GetValueOrDefault(method.FullName) + 1;
            codes[status.StatusCode] = codes.GetValueOrDefault(status.StatusCode) + 1;
        }

        // The edge still serves: its honest worker is registered and the payer still reads the job submitted at start.
        await edge.WaitForWorker(EdgeFixture.HonestId);
        Assert.Equal(edge.SharedJobId, (await edge.Status(edge.SharedJobId)).JobId);

        var total = tried.Values.Sum();
        output.WriteLine($"edge fuzzer: {total} inputs in {clock.Elapsed.TotalSeconds:0.0} s ({total / clock.Elapsed.TotalSeconds:0} per second)");
        output.WriteLine("per method: " + string.Join(", ", tried.OrderBy(t => t.Key).Select(t => $"{t.Key} {t.Value}")));
        output.WriteLine("status codes: " + string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Console.WriteLine($"edge fuzzer: {total} inputs ({total / clock.Elapsed.TotalSeconds:0}/s) over {tried.Count} methods; " +
                          string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(tried.Count == methods.Count, $"only {tried.Count} of {methods.Count} methods were tried; raise GENSYN_FUZZ_SECONDS");
    }

    /// <summary>Signs half of the requester calls with a real key and gives half of the worker blob calls a real session token.</summary>
    private Metadata Headers(MethodDescriptor method, IMessage message, WorkerKey key, string token, Random random)
    {
        if (random.Next(2) == 0) return [];
        if (method.Service == V1.RequesterEdge.Descriptor) return edge.Sign(key, method.Name, message);
        var headers = new Metadata { { "gensyn-session", token } };
        if (random.Next(2) == 0) headers.Add("gensyn-blob-hash", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(random.Next()))));
        if (random.Next(2) == 0) headers.Add("gensyn-blob-size", random.Next(4) == 0 ? "-1" : $"{random.Next(1 << 20)}");
        if (random.Next(2) == 0) headers.Add("gensyn-blob-offset", random.Next(4) == 0 ? "99999999999" : $"{random.Next(1024)}");
        return headers;
    }

    /// <summary>Makes one call of any shape with raw bytes and returns how it ended.</summary>
    private static async Task<Status> Call(CallInvoker invoker, MethodDescriptor method, byte[] bytes, Metadata headers, Random random)
    {
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var raw = new Method<byte[], byte[]>(type, method.Service.FullName, method.Name, Raw, Raw);
        var options = new CallOptions(headers, DateTime.UtcNow + HangAfter - TimeSpan.FromSeconds(2));
        var extra = random.Next(3);  // streams get a few more messages of the same kind
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(raw, null, options, bytes);
                    break;
                case MethodType.ServerStreaming:
                {
                    using var call = invoker.AsyncServerStreamingCall(raw, null, options, bytes);
                    var read = 0L;
                    // Reads a bounded amount: a valid fetch of a large blob is not a hang.
                    while (read < 4 << 20 && await call.ResponseStream.MoveNext(CancellationToken.None)) read += call.ResponseStream.Current.Length;
                    break;
                }
                case MethodType.ClientStreaming:
                {
                    using var call = invoker.AsyncClientStreamingCall(raw, null, options);
                    await WriteAll(call.RequestStream, bytes, extra);
                    await call.ResponseAsync;
                    break;
                }
                default:
                {
                    using var call = invoker.AsyncDuplexStreamingCall(raw, null, options);
                    await WriteAll(call.RequestStream, bytes, extra);
                    while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
                    break;
                }
            }
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    /// <summary>A session that answers the challenge with a valid hello from a fresh key, then sends the input and ends.</summary>
    private async Task<Status> AfterHello(CallInvoker invoker, MethodDescriptor method, byte[] bytes, Random random)
    {
        var raw = new Method<byte[], byte[]>(MethodType.DuplexStreaming, method.Service.FullName, method.Name, Raw, Raw);
        using var call = invoker.AsyncDuplexStreamingCall(raw, null, new CallOptions(deadline: DateTime.UtcNow + HangAfter - TimeSpan.FromSeconds(2)));
        try
        {
            if (!await call.ResponseStream.MoveNext(CancellationToken.None)) return call.GetStatus();
            var challenge = V1.EdgeMessage.Parser.ParseFrom(call.ResponseStream.Current).Challenge;
            var hello = RawSession.Hello(WorkerKey.Generate(), $"fuzz-{random.Next():x}", Convert.ToHexStringLower(challenge.Nonce.Span), edge.Edge.Fingerprint, challenge.ChainId);
            await call.RequestStream.WriteAsync(new V1.WorkerMessage { Hello = hello }.ToByteArray());
            await WriteAll(call.RequestStream, bytes, random.Next(3));
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    /// <summary>
    /// Writes the input and ends the request stream; a write the edge no longer takes (it has already answered) ends the writing, and
    /// the answer is then read from the call.
    /// </summary>
    private static async Task WriteAll(IClientStreamWriter<byte[]> stream, byte[] bytes, int extra)
    {
        try
        {
            for (var i = 0; i <= extra; i++) await stream.WriteAsync(bytes);
            await stream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
        }
    }
}
