using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Gensyn.Contracts.Chain;

/// <summary>A transaction that was mined but reverted (status 0).</summary>
public sealed class TransactionRevertedException(string function, string hash)
    : Exception($"{function} reverted on chain (transaction {hash})");

/// <summary>
/// One deployed contract seen through one signing account: sends typed function messages and waits
/// for their receipts (a mined revert throws), and runs typed queries. Reverts found while estimating
/// gas surface as Nethereum's SmartContractCustomErrorRevertException / SmartContractRevertException.
/// </summary>
public class ChainContract(IWeb3 web3, string address)
{
    public IWeb3 Web3 { get; } = web3;
    public string Address { get; } = address;

    /// <summary>The address that signs this view's transactions.</summary>
    public string From => Web3.TransactionManager.Account?.Address
        ?? throw new InvalidOperationException("this contract view has no signing account");

    /// <summary>Opens a Web3 that signs with <paramref name="privateKey"/> for <paramref name="chainId"/>.</summary>
    public static Web3 Connect(string rpcUrl, string privateKey, int chainId, int receiptPollingMilliseconds = 100)
    {
        var web3 = new Web3(new Account(privateKey, chainId), rpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = false;
        // The handlers' SendRequestAndWaitForReceiptAsync polls through the transaction manager's own receipt service.
        web3.TransactionManager.TransactionReceiptService =
            new Nethereum.RPC.TransactionReceipts.TransactionReceiptPollingService(web3.TransactionManager, receiptPollingMilliseconds);
        return web3;
    }

    public async Task<TransactionReceipt> SendAsync<TFunction>(TFunction function, CancellationToken ct = default)
        where TFunction : FunctionMessage, new()
    {
        var handler = Web3.Eth.GetContractTransactionHandler<TFunction>();
        var receipt = await handler.SendRequestAndWaitForReceiptAsync(Address, function, ct);
        if (receipt.Status?.Value != 1)
            throw new TransactionRevertedException(typeof(TFunction).Name, receipt.TransactionHash);
        return receipt;
    }

    public Task<TResult> QueryAsync<TFunction, TResult>(TFunction function)
        where TFunction : FunctionMessage, new()
        => Web3.Eth.GetContractQueryHandler<TFunction>().QueryAsync<TResult>(Address, function);

    public Task<TOutput> QueryDtoAsync<TFunction, TOutput>(TFunction function)
        where TFunction : FunctionMessage, new()
        where TOutput : Nethereum.ABI.FunctionEncoding.Attributes.IFunctionOutputDTO, new()
        => Web3.Eth.GetContractQueryHandler<TFunction>().QueryDeserializingToObjectAsync<TOutput>(function, Address);

    /// <summary>Deploys a contract and returns its address; throws when the deployment reverted.</summary>
    public static async Task<string> DeployAsync<TDeployment>(IWeb3 web3, TDeployment deployment, CancellationToken ct = default)
        where TDeployment : ContractDeploymentMessage, new()
    {
        var receipt = await web3.Eth.GetContractDeploymentHandler<TDeployment>().SendRequestAndWaitForReceiptAsync(deployment, ct);
        if (receipt.Status?.Value != 1 || string.IsNullOrEmpty(receipt.ContractAddress))
            throw new TransactionRevertedException(typeof(TDeployment).FullName ?? "deployment", receipt.TransactionHash);
        return receipt.ContractAddress;
    }
}
