// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Provider staking with slashing.
/// @notice Providers bond GENS to be eligible for work. Leaving takes two steps: requestUnbond moves
/// bonded stake into an unbonding bucket, and withdrawUnbonded pays it out once `unbondingDelay`
/// seconds have passed. Unbonding stake stays slashable until it is withdrawn, so a provider cannot
/// escape a pending fraud proof by unbonding.
/// @dev Slashed tokens cannot be burned (GENS is a plain ERC-20 without a burn function), so the part
/// that does not go to the wronged requester is sent to `treasury`, fixed at construction.
/// Roles: DEFAULT_ADMIN_ROLE (the owner) pauses, unpauses, sets the minimum stake and grants roles;
/// SETTLEMENT_ROLE (the coordinator's settlement key) slashes. Pausing blocks stake, requestUnbond
/// and slash; it never blocks withdrawUnbonded.
contract ProviderStaking is AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant SETTLEMENT_ROLE = keccak256("SETTLEMENT_ROLE");
    uint16 public constant BPS_DENOMINATOR = 10_000;

    IERC20 public immutable token;
    address public immutable treasury;
    uint64 public immutable unbondingDelay;
    uint256 public minimumStake;

    /// @notice Bonded stake per provider (counts towards registration).
    mapping(address => uint256) public bondedStake;
    /// @notice Stake waiting out the unbonding delay (still slashable).
    mapping(address => uint256) public unbondingStake;
    /// @notice When the provider's unbonding stake becomes withdrawable.
    mapping(address => uint64) public unbondingReleaseTime;
    /// @notice Evidence hashes already slashed for: one fraud is punished once.
    mapping(bytes32 => bool) public evidenceUsed;

    error ZeroAmount();
    error ZeroAddress();
    error InsufficientBondedStake(uint256 requested, uint256 bonded);
    error SlashExceedsStake(uint256 requested, uint256 slashable);
    error UnbondingNotReady(uint64 releaseTime);
    error NothingToWithdraw();
    error InvalidShareBps(uint16 bps);
    error EvidenceUsed(bytes32 evidenceHash);

    event Staked(address indexed provider, uint256 amount, uint256 bondedStake);
    event UnbondRequested(address indexed provider, uint256 amount, uint256 unbondingStake, uint64 releaseTime);
    event UnbondedWithdrawn(address indexed provider, uint256 amount);
    event Slashed(
        address indexed provider,
        bytes32 indexed evidenceHash,
        uint256 amount,
        address requesterShareTo,
        uint256 requesterShare,
        uint256 treasuryShare
    );
    event MinimumStakeChanged(uint256 previousMinimum, uint256 newMinimum);

    constructor(
        IERC20 token_,
        address admin,
        address settlementAuthority,
        address treasury_,
        uint256 minimumStake_,
        uint64 unbondingDelay_
    ) {
        if (address(token_) == address(0) || admin == address(0) || treasury_ == address(0)) revert ZeroAddress();
        token = token_;
        treasury = treasury_;
        minimumStake = minimumStake_;
        unbondingDelay = unbondingDelay_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (settlementAuthority != address(0)) _grantRole(SETTLEMENT_ROLE, settlementAuthority);
    }

    /// @notice True when the provider's bonded stake reaches the minimum.
    function isRegistered(address provider) external view returns (bool) {
        return bondedStake[provider] >= minimumStake && bondedStake[provider] > 0;
    }

    /// @notice Bonds `amount` more of the caller's GENS (needs an allowance).
    function stake(uint256 amount) external nonReentrant whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        bondedStake[msg.sender] += amount;
        emit Staked(msg.sender, amount, bondedStake[msg.sender]);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` of bonded stake into unbonding; the whole unbonding bucket is released
    /// `unbondingDelay` seconds after the latest request.
    function requestUnbond(uint256 amount) external nonReentrant whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        uint256 bonded = bondedStake[msg.sender];
        if (amount > bonded) revert InsufficientBondedStake(amount, bonded);
        bondedStake[msg.sender] = bonded - amount;
        unbondingStake[msg.sender] += amount;
        uint64 releaseTime = uint64(block.timestamp) + unbondingDelay;
        unbondingReleaseTime[msg.sender] = releaseTime;
        emit UnbondRequested(msg.sender, amount, unbondingStake[msg.sender], releaseTime);
    }

    /// @notice Pays out the caller's unbonding stake once its delay has passed. Works while paused.
    function withdrawUnbonded() external nonReentrant {
        uint256 amount = unbondingStake[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        uint64 releaseTime = unbondingReleaseTime[msg.sender];
        if (block.timestamp < releaseTime) revert UnbondingNotReady(releaseTime);
        unbondingStake[msg.sender] = 0;
        unbondingReleaseTime[msg.sender] = 0;
        emit UnbondedWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Slashes `amount` of the provider's stake (bonded first, then unbonding) for proven fraud,
    /// once per `evidenceHash`.
    /// `requesterShareBps` of it goes to `requesterShareTo`, the rest to the treasury.
    function slash(
        address provider,
        uint256 amount,
        bytes32 evidenceHash,
        address requesterShareTo,
        uint16 requesterShareBps
    ) external nonReentrant whenNotPaused onlyRole(SETTLEMENT_ROLE) {
        if (amount == 0) revert ZeroAmount();
        if (requesterShareBps > BPS_DENOMINATOR) revert InvalidShareBps(requesterShareBps);
        if (requesterShareBps > 0 && requesterShareTo == address(0)) revert ZeroAddress();
        if (evidenceUsed[evidenceHash]) revert EvidenceUsed(evidenceHash);
        evidenceUsed[evidenceHash] = true;
        uint256 bonded = bondedStake[provider];
        uint256 unbonding = unbondingStake[provider];
        if (amount > bonded + unbonding) revert SlashExceedsStake(amount, bonded + unbonding);
        if (amount <= bonded) {
            bondedStake[provider] = bonded - amount;
        } else {
            bondedStake[provider] = 0;
            unbondingStake[provider] = unbonding - (amount - bonded);
        }
        uint256 requesterShare = (amount * requesterShareBps) / BPS_DENOMINATOR;
        uint256 treasuryShare = amount - requesterShare;
        emit Slashed(provider, evidenceHash, amount, requesterShareTo, requesterShare, treasuryShare);
        if (requesterShare > 0) token.safeTransfer(requesterShareTo, requesterShare);
        if (treasuryShare > 0) token.safeTransfer(treasury, treasuryShare);
    }

    /// @notice Sets the stake a provider needs to count as registered. Admin only.
    function setMinimumStake(uint256 newMinimum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit MinimumStakeChanged(minimumStake, newMinimum);
        minimumStake = newMinimum;
    }

    /// @notice Stops stake, requestUnbond and slash. Admin only.
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Resumes stake, requestUnbond and slash. Admin only.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }
}
