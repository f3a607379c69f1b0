using System.Numerics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Gensyn.Contracts.Chain;
using Gensyn.Contracts.Messages;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;

namespace Gensyn.Actors.Settlement;

/// <summary>
/// The only signer of the coordinator's settlement key (a cluster singleton). Its journal is an outbox: an order is
/// persisted before its transaction is sent, the transaction hash as soon as it is known, the outcome once the receipt
/// is seen. Orders run one at a time, oldest first; one that fails for now waits behind the others. On a restart an unfinished order is resumed by its hash or, failing that, by its
/// settlement id on chain (the escrow's <c>settlementUsed</c>, a slash's evidence-hash event): only what the chain never
/// saw is sent again, so nothing is paid twice. RPC failures retry with backoff (up to 30 s); a revert is final and
/// reported with its decoded reason. Outcomes go to the job's entity (<see cref="SettlementSettled"/>).
/// </summary>
public sealed class SettlementActor : ReceivePersistentActor, IWithTimers
{
    public const string SingletonName = "settlement";

    /// <summary>HOCON: GENS slashed from a provider for each proven fraud (at most its stake).</summary>
    public const string SlashAmountSetting = "gensyn.settlement.slash-amount";

    /// <summary>HOCON: the share of a slash (basis points) paid to the cheated requester; the rest goes to the treasury.</summary>
    public const string RequesterShareSetting = "gensyn.settlement.requester-share-bps";

    /// <summary>A snapshot every this many events bounds what a recovery replays.</summary>
    public const int SnapshotEvery = 100;

    private sealed record Kick : INoSerializationVerificationNeeded;
    private sealed record Sent(string SettlementId, string TxHash) : INoSerializationVerificationNeeded;
    private sealed record Done(SettlementSettled Outcome) : INoSerializationVerificationNeeded;
    private sealed record StepFailed(string SettlementId, string Reason) : INoSerializationVerificationNeeded;
    private sealed record Pending(string SettlementId, int PollMilliseconds) : INoSerializationVerificationNeeded;

    private readonly ChainLink _chain;
    private readonly IActorRef _notify;
    private readonly ISettlementFaults _faults;
    private SettlementOutbox _outbox = new();
    private long _snapshotAt;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly long _slashMicros;
    private readonly ushort _requesterShareBps;
    private bool _busy;
    /// <summary>Cancelled when this actor stops: a step still running must not send after its successor took over.</summary>
    private readonly CancellationTokenSource _stopping = new();
    private int _failures;

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => "settlement";

    public static Props Props(ChainLink chain, IActorRef notify, ISettlementFaults? faults = null) =>
        Akka.Actor.Props.Create(() => new SettlementActor(chain, notify, faults ?? NoSettlementFaults.Instance));

    public SettlementActor(ChainLink chain, IActorRef notify, ISettlementFaults faults)
    {
        _chain = chain;
        _notify = notify;
        _faults = faults;
        var config = Context.System.Settings.Config;
        _slashMicros = Gens.ToMicros(config.GetDouble(SlashAmountSetting, 10));
        _requesterShareBps = (ushort)Math.Clamp(config.GetInt(RequesterShareSetting, 5000), 0, 10_000);
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not SettlementOutboxSnapshot snapshot) return;
            _outbox = SettlementOutbox.FromSnapshot(snapshot);
            _snapshotAt = offer.Metadata.SequenceNr;
        });
        Recover<ISettlementEvent>(e => _outbox.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            var unfinished = _outbox.Unfinished.ToList();
            if (unfinished.Count > 0)
                _log.Info("Settlement: resuming {0} unfinished order(s): {1}", unfinished.Count, string.Join(", ", unfinished.Select(Describe)));
            Self.Tell(new Kick());
        });

        Command<SettlementOrder>(order =>
        {
            var (isNew, outcome) = _outbox.Check(order);
            if (outcome is not null) Sender.Tell(outcome);
            if (!isNew) return;
            Persist(new SettlementIntended(order, DateTimeOffset.UtcNow), e =>
            {
                _outbox.Apply(e);
                _log.Info("Settlement: {0} of {1} queued ({2})", order.Label, order.JobId, order.SettlementId);
                Next();
            });
        });
        Command<Kick>(_ => Next());
        Command<GetRecentSettlements>(get => Sender.Tell(new RecentSettlements(_outbox.Recent(get.Count))));
        Command<Sent>(sent => Persist(new SettlementSent(sent.SettlementId, sent.TxHash, DateTimeOffset.UtcNow), e =>
        {
            _outbox.Apply(e);
            _busy = false;
            Next();
        }));
        Command<Pending>(pending =>
        {
            _busy = false;
            Timers.StartSingleTimer("kick", new Kick(), TimeSpan.FromMilliseconds(pending.PollMilliseconds));
        });
        Command<SaveSnapshotSuccess>(saved => DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failed => _log.Warning("Settlement: snapshot failed ({0}); recovery will replay more events", failed.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Settlement: could not delete old snapshots ({0})", failed.Cause.Message));
        Command<Done>(done => Persist(new SettlementFinished(done.Outcome), e =>
        {
            _outbox.Apply(e);
            if (LastSequenceNr - _snapshotAt >= SnapshotEvery)
            {
                SaveSnapshot(_outbox.ToSnapshot());
                _snapshotAt = LastSequenceNr;
            }
            _busy = false;
            _failures = 0;
            var o = done.Outcome;
            if (o.Status == SettlementStatus.Reverted) _log.Warning("Settlement: {0} reverted: {1}", o.SettlementId, o.Reason);
            else _log.Info("Settlement: {0} of {1} {2}: {3} GENS, tx {4}, gas {5}", o.Kind, o.JobId, o.Status.ToString().ToLowerInvariant(),
                Gens.Format(o.AmountMicros), o.TxHash ?? "-", o.GasUsed);
            _notify.Tell(o);
            Next();
        }));
        Command<StepFailed>(failed =>
        {
            _busy = false;
            _outbox.Defer(failed.SettlementId);
            _failures++;
            var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(_failures, 6)) / 2));
            _log.Warning("Settlement: {0} failed ({1}); retrying in {2:0.#} s", failed.SettlementId, failed.Reason, delay.TotalSeconds);
            Timers.StartSingleTimer("kick", new Kick(), delay);
        });
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        base.PostStop();
    }

    private static string Describe(SettlementOutbox.Entry e) => $"{e.Order.Label} of {e.Order.JobId}{(e.TxHash is null ? "" : $" (sent as {e.TxHash})")}";

    private void Next()
    {
        Metrics.GensynMeter.Outbox(Self, _outbox);
        if (_busy || _outbox.Next is not { } entry) return;
        _busy = true;
        var stopping = _stopping.Token;
        Task.Run(async () =>
        {
            try
            {
                var chain = await _chain.WithinAsync(TimeSpan.FromSeconds(30));
                return await Step(entry, chain, stopping);
            }
            catch (Exception e) when (RevertReasons.CustomErrorName(e) is "EnforcedPause" or "AccessControlUnauthorizedAccount")
            {
                // Paused, or the key's role is being re-granted: it may go through later; never give the money up for it.
                return new StepFailed(entry.Order.SettlementId, RevertReasons.Describe(e, ContractOf(entry.Order)));
            }
            catch (Exception e) when (RevertReasons.IsRevert(e))
            {
                return new Done(Outcome(entry.Order, SettlementStatus.Reverted, null, 0, 0, RevertReasons.Describe(e, ContractOf(entry.Order))));
            }
            catch (Exception e)
            {
                // The RPC, the node or this process failed, not the contract: try again later.
                return new StepFailed(entry.Order.SettlementId, RevertReasons.Describe(e));
            }
        }).PipeTo(Self);
    }

    private async Task<object> Step(SettlementOutbox.Entry entry, ChainRuntime chain, CancellationToken stopping)
    {
        var order = entry.Order;
        var poll = chain.Settings.IsDevnet ? 20 : 1_000;
        if (entry.TxHash is { } hash)
        {
            if (await chain.ReceiptAsync(hash) is { } receipt) return new Done(await Mined(order, receipt, chain));
            if (await chain.KnowsTransactionAsync(hash)) return new Pending(order.SettlementId, poll);
            _log.Warning("Settlement: transaction {0} of {1} is unknown to the chain; looking for the settlement on chain", hash, order.SettlementId);
        }
        // A transaction of the settlement key still waiting to be mined may be this order's (sent before a restart): wait for
        // it first, so that the look-up below sees it.
        if (await chain.HasPendingAsync()) return new Pending(order.SettlementId, poll);
        if (await FindOnChain(order, chain) is { } found)
        {
            _log.Info("Settlement: {0} of {1} is already on chain{2}; not sending it again", order.Label, order.JobId, found.Length > 0 ? $" (tx {found})" : "");
            return new Done(await AlreadySettled(order, found, chain));
        }
        // This actor is being stopped (a singleton hand-over): its successor decides; never send from a stopping one.
        stopping.ThrowIfCancellationRequested();
        object sent;
        try
        {
            sent = await Send(order, chain);
        }
        catch (Exception e) when (RevertReasons.IsRevert(e))
        {
            // Refused because it settled meanwhile (SettlementIdUsed): it is done, not failed.
            if (await FindOnChain(order, chain) is { } settled) return new Done(await AlreadySettled(order, settled, chain));
            throw;
        }
        if (sent is string txHash)
        {
            _faults.AfterSent(order, txHash);
            return new Sent(order.SettlementId, txHash);
        }
        return sent;
    }

    /// <summary>The outcome of an order found settled on chain by <paramref name="txHash"/> ("" when the hash is lost).</summary>
    private static async Task<SettlementSettled> AlreadySettled(SettlementOrder order, string txHash, ChainRuntime chain) =>
        ((txHash.Length > 0 ? await chain.ReceiptAsync(txHash) : null) is { } receipt
            ? await Mined(order, receipt, chain)
            : Outcome(order, SettlementStatus.Confirmed, null, 0, await Amount(order, null, chain), "found on chain"))
        with { FoundOnChain = true };

    /// <summary>The hash of the transaction that already settled <paramref name="order"/> ("" when it is settled but the hash is lost), or null.</summary>
    private static async Task<string?> FindOnChain(SettlementOrder order, ChainRuntime chain)
    {
        if (order.Kind == SettlementKind.Slash)
        {
            var evidence = EscrowIds.FromHex(order.EvidenceHash!);
            if (!await chain.Staking.EvidenceUsedAsync(evidence)) return null;
            return await chain.FindByMarkerAsync(chain.Settings.Staking, evidence) ?? "";
        }
        if (order.Kind == SettlementKind.Deposit) return await AuditEscrowDeposit.FindAsync(order, chain);
        var id = EscrowIds.FromHex(order.SettlementId);
        if (!await chain.Escrow.SettlementUsedAsync(id)) return null;
        return await chain.FindByMarkerAsync(chain.Settings.Escrow, id) ?? "";
    }

    /// <summary>Sends the order's transaction: its hash, or a <see cref="Done"/> when there was nothing to send.</summary>
    private async Task<object> Send(SettlementOrder order, ChainRuntime chain)
    {
        var job = AuditEscrowDeposit.EscrowOf(order);
        var id = EscrowIds.FromHex(order.SettlementId);
        switch (order.Kind)
        {
            case SettlementKind.PayRound:
                return await chain.SendAsync(chain.Settings.Escrow, new JobEscrowAbi.PayRoundFunction
                {
                    JobId = job, SettlementId = id, Workers = order.Payees.Select(p => p.Address).ToList(),
                    Amounts = order.Payees.Select(p => new BigInteger(p.Micros)).ToList(), Accepted = (uint)order.Accepted, Judged = (uint)order.Judged,
                });
            case SettlementKind.Slash:
                var refused = order.IsRestitution ? await RestitutionToken.RefusalAsync(order, chain) : null;
                var stake = refused is not null ? BigInteger.Zero : await chain.SlashableStakeAsync(order.Provider!);
                var amount = BigInteger.Min(stake, order.SlashMicros ?? _slashMicros);
                if (amount.IsZero)
                    return new Done(Outcome(order, SettlementStatus.Skipped, null, 0, 0, refused ?? $"provider {order.Provider} has no stake left to slash"));
                return await chain.SendAsync(chain.Settings.Staking, new ProviderStakingAbi.SlashFunction
                {
                    Provider = order.Provider!, Amount = amount, EvidenceHash = EscrowIds.FromHex(order.EvidenceHash!),
                    RequesterShareTo = AuditEscrowDeposit.ShareTo(order, chain),
                    RequesterShareBps = (ushort)(order.RequesterShareBps ?? _requesterShareBps),
                });
            case SettlementKind.Deposit: return await AuditEscrowDeposit.SendAsync(order, chain);
            case SettlementKind.Complete:
                return await chain.SendAsync(chain.Settings.Escrow, new JobEscrowAbi.CompleteFunction { JobId = job, SettlementId = id });
            default:
                return await chain.SendAsync(chain.Settings.Escrow, new JobEscrowAbi.CancelFunction { JobId = job, SettlementId = id });
        }
    }

    private static async Task<SettlementSettled> Mined(SettlementOrder order, TransactionReceipt receipt, ChainRuntime chain)
    {
        var gas = ChainRuntime.GasOf(receipt);
        if (receipt.Status?.Value == 1)
            return Outcome(order, SettlementStatus.Confirmed, receipt.TransactionHash, gas, await Amount(order, receipt, chain), "");
        // A second copy reverts when the first one settled the order (SettlementIdUsed, EvidenceUsed): the order is done.
        if (await FindOnChain(order, chain) is { } settled && settled != receipt.TransactionHash)
            return await AlreadySettled(order, settled, chain);
        return Outcome(order, SettlementStatus.Reverted, receipt.TransactionHash, gas, 0, $"transaction {receipt.TransactionHash} reverted on chain");
    }

    /// <summary>What moved: a payout's total, the slashed amount, or the refund an escrow's close released.</summary>
    private static async Task<long> Amount(SettlementOrder order, TransactionReceipt? receipt, ChainRuntime chain)
    {
        switch (order.Kind)
        {
            case SettlementKind.PayRound or SettlementKind.Deposit: return order.DepositMicros ?? order.TotalMicros;
            case SettlementKind.Slash:
                return receipt?.DecodeAllEvents<ProviderStakingAbi.SlashedEvent>().Select(e => (long)e.Event.Amount).FirstOrDefault() ?? 0;
            default:
                return (long)(await chain.Escrow.JobAsync(AuditEscrowDeposit.EscrowOf(order))).Refunded;
        }
    }

    private static string ContractOf(SettlementOrder order) => order.Kind == SettlementKind.Slash ? "ProviderStaking" : "JobEscrow";

    private static SettlementSettled Outcome(SettlementOrder order, SettlementStatus status, string? txHash, long gas, long amount, string reason) =>
        new(order.JobId, order.SettlementId, order.Kind, status, txHash, gas, amount, reason, DateTimeOffset.UtcNow);
}
