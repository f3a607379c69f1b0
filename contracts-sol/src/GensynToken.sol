// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title GENS, the payment token of the Gensyn network.
/// @notice A 6-decimal ERC-20 (USDC-style amounts: 1 GENS = 1_000_000 units).
/// The owner can mint; that exists for dev chains and test networks, where there is no bridge.
contract GensynToken is ERC20, Ownable {
    constructor(address initialOwner) ERC20("Gensyn Token", "GENS") Ownable(initialOwner) {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` units to `to`. Owner only.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
