// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title The admin of the settlement contracts: OpenZeppelin's TimelockController, unchanged.
/// @notice JobEscrow's and ProviderStaking's DEFAULT_ADMIN_ROLE (pause, unpause, minimum stake, granting and
/// revoking roles) is held by this contract alone. A proposer schedules a call; anyone with the executor role
/// runs it once `getMinDelay()` seconds have passed, so every admin action is public for that long before it
/// takes effect. The timelock administers itself (no admin account): changing its delay or its proposers
/// also goes through the delay.
contract AdminTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}
