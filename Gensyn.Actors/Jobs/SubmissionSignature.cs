using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;

namespace Gensyn.Actors.Jobs;

/// <summary>
/// The rule a paid submission must pass: its signature is the payer's, over this job id and this spec's SHA-256, made for this
/// coordinator's own chain and escrow (the EIP-712 domain of <paramref name="chain"/>), so a signature made for another network
/// or another escrow is worthless here.
/// </summary>
public static class SubmissionSignature
{
    /// <summary>Null when <paramref name="submit"/> is signed by its payer for <paramref name="jobId"/> on <paramref name="chain"/>; otherwise one line saying why not.</summary>
    public static string? Problem(ChainInfo chain, string jobId, SubmitJob submit)
    {
        var signed = ClaimSigner.Check(SubmissionClaim.For(ClaimDomain.Of(chain), jobId, submit.SpecYaml), submit.Signature, submit.Payer);
        return signed.Valid
            ? null
            : $"the submission of {jobId} is not signed by its payer {submit.Payer} for chain {chain.ChainId} and escrow {chain.Escrow} ({signed.Reason}); " +
              "`gensyn submit` signs it with the wallet that deposits, for the chain this coordinator names";
    }
}
