// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title A stand-in for USDC on dev chains: a 6-decimal ERC-20 the owner can mint.
/// @notice Only for devnets and tests, where a job's `budget.token: USDC` needs a token to pay in.
contract MockUSDC is ERC20, Ownable {
    constructor(address initialOwner) ERC20("USD Coin (devnet mock)", "USDC") Ownable(initialOwner) {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` units to `to`. Owner only.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
